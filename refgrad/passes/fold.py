"""Constant folding: an op whose operands are all constants becomes the constant it computes.

The value comes from the op table's ``forward`` (its IEEE float64 function), never from
Python arithmetic written here, so a folded graph computes what the unfolded one computes:
``1.0 / 0.0`` folds to ``inf``, ``inf - inf`` to nan, ``sqrt(-0.0)`` to ``-0.0``. Only pure
ops fold: an impure op's result is not a function of its operands alone.

Folding runs in one forward sweep through :func:`refgrad.graph.rebuild`: operands arrive
already folded, so a whole constant subgraph collapses in one pass. The constants it used stay
in the graph (dead-code elimination removes them). ``forward`` never raises (the table wraps
every Python exception into its IEEE result); if a row ever did, evaluating the graph would
raise too, so folding lets that error surface rather than hide it.
"""

from __future__ import annotations

from refgrad.collector import collector_paused
from refgrad.graph import Graph, GraphBuilder, Node, rebuild
from refgrad.passes import PassResult
from refgrad.passes._support import result


def run(graph: Graph) -> PassResult:
    folded = 0

    def fold(builder: GraphBuilder, node: Node, operands: tuple[Node, ...]) -> Node:
        nonlocal folded
        if node.op.pure and all(operand.is_constant for operand in operands):
            folded += 1
            return builder.constant(node.op.forward(*(operand.value for operand in operands)))
        return builder.apply(node.op, *operands)

    with collector_paused():
        new = rebuild(graph, fold)
    # Re-interning alone can also shrink a graph that was not interned (see cse).
    changed = folded > 0 or len(new.nodes) != len(graph.nodes)
    details = (
        f"folded {folded} op nodes into constants, {len(graph.nodes)} -> {len(new.nodes)} nodes"
    )
    return result(graph, new, changed, details)
