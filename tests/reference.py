"""Reference semantics of a graph for the tests: every node in order, each op through the op
table's forward function. Deliberately independent of refgrad's interpreter and code
generators, which the tests judge against it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from refgrad.graph import Graph
from refgrad.ops import Op


def evaluate(
    graph: Graph, point: Sequence[float], forward: Callable[[Op], Callable] | None = None
) -> tuple[float, ...]:
    """The graph's outputs at ``point`` (one float per input, in order); ``forward(op)`` may
    replace an op's forward function (the NumPy tests use NumPy's own tanh)."""
    values: list[float] = []
    inputs = dict(zip((node.index for node in graph.inputs), point, strict=True))
    for node in graph.nodes:
        if node.is_input:
            values.append(inputs[node.index])
        elif node.is_constant:
            values.append(node.value)
        else:
            function = node.op.forward if forward is None else forward(node.op)
            values.append(function(*(values[operand.index] for operand in node.operands)))
    return tuple(values[node.index] for node in graph.outputs)
