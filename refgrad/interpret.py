"""The static mode's engine: run a graph on floats, node by node, with the op table's forwards.

The graph is lowered once into a flat list of steps (forward function, operand slots, result
slot); a call is then one loop over the steps with no dispatch on node kinds. Nodes no output
needs get no step (dead code is skipped here, as the code generators skip it, so the modes
need no dead-code pass copying the graph).
"""

from __future__ import annotations

from collections.abc import Sequence

from refgrad.graph import Graph, GraphError
from refgrad.passes.dce import live_positions


class Interpreter:
    """A graph ready to run: ``Interpreter(graph)(*inputs) -> tuple of output floats``."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._input_slots = tuple(node.index for node in graph.inputs)
        self._template: list[float | None] = [
            node.value if node.is_constant else None for node in graph.nodes
        ]
        self._steps = []
        live = live_positions(graph)
        for node in graph.nodes:
            if node.op is not None and live[node.index]:
                operands = tuple(operand.index for operand in node.operands)
                second = operands[1] if len(operands) == 2 else None  # None: a unary op
                self._steps.append((node.index, node.op.forward, operands[0], second))
        self._output_slots = tuple(node.index for node in graph.outputs)

    def __call__(self, *inputs: float) -> tuple[float, ...]:
        if len(inputs) != len(self._input_slots):
            raise GraphError(
                f"the graph takes {len(self._input_slots)} input(s) "
                f"({', '.join(node.name for node in self.graph.inputs)}), got {len(inputs)}"
            )
        values = list(self._template)
        for slot, number in zip(self._input_slots, inputs, strict=True):
            values[slot] = float(number)
        for slot, forward, first, second in self._steps:
            if second is None:
                values[slot] = forward(values[first])
            else:
                values[slot] = forward(values[first], values[second])
        return tuple(values[slot] for slot in self._output_slots)


def interpret(graph: Graph, inputs: Sequence[float]) -> tuple[float, ...]:
    """Run ``graph`` once on ``inputs`` (build an :class:`Interpreter` to run it often)."""
    return Interpreter(graph)(*inputs)
