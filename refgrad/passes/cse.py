"""Common-subexpression elimination: copy the graph through the interning builder.

:class:`refgrad.graph.GraphBuilder` returns the existing node for the same op on the same
operands (and for the same constant bit pattern), so rebuilding merges every pair of nodes
that compute the same thing, including pairs that only became identical after other passes
rewrote their operands, or that a hand-made graph duplicated. It is exact by construction:
a merged node is the same op of the same values.

Operands are matched in order: ``x + y`` and ``y + x`` are not merged. They are equal as
numbers, but when both operands are nan the result carries one operand's sign and payload,
and which one depends on the hardware and on the C compiler's operand order (CPython on x86-64
gives ``x + y`` the payload of ``y``), so canonicalizing the order would be exact only up to
nan bits. A pass that wants it can add it; this one keeps every bit.
"""

from __future__ import annotations

from refgrad.collector import collector_paused
from refgrad.graph import Graph, rebuild
from refgrad.passes import PassResult
from refgrad.passes._support import result


def run(graph: Graph) -> PassResult:
    with collector_paused():
        new = rebuild(graph)
    merged = len(graph.nodes) - len(new.nodes)
    return result(graph, new, merged > 0, f"merged {merged} duplicate nodes")
