"""Dead-code elimination: drop every node that no output depends on.

Inputs always stay, used or not and in their order: they are the function's signature, and
a caller passes arguments by position. Constants and op nodes stay only if an output needs
them.

Liveness is one backward sweep over the topological order: a node is live if it is an output
or an operand of a live node, and every user of a node comes after it, so by the time the
sweep reaches a node its liveness is final. A flag per position, no recursion and no work list,
so a million-node chain costs a million steps.
"""

from __future__ import annotations

from refgrad.collector import collector_paused
from refgrad.graph import Graph
from refgrad.passes import PassResult
from refgrad.passes._support import copy_kept, result


def live_positions(graph: Graph) -> bytearray:
    """One flag per node position: 1 if some output depends on the node (inputs: always 1)."""
    live = bytearray(len(graph.nodes))
    for node in graph.outputs:
        live[node.index] = 1
    for node in reversed(graph.nodes):  # (positions are node indices in a well-formed graph)
        if live[node.index]:
            for operand in node.operands:
                live[operand.index] = 1
    for node in graph.inputs:
        live[node.index] = 1
    return live


def run(graph: Graph) -> PassResult:
    live = live_positions(graph)
    dead = len(live) - sum(live)
    if dead == 0:
        return result(graph, graph, False, "removed 0 dead nodes")
    with collector_paused():
        new = copy_kept(graph, live)
    return result(graph, new, True, f"removed {dead} dead nodes")
