"""Helpers the passes share, kept here because :mod:`refgrad.graph` does not offer them.

* :func:`copy_kept`: ``graph.rebuild`` copies every node; dead-code elimination needs a copy
  that leaves some out.
"""

from __future__ import annotations

from collections.abc import Sequence

from refgrad.graph import Graph, Node
from refgrad.passes import PassResult


def result(before: Graph, after: Graph, changed: bool, details: str) -> PassResult:
    """A pass's result; an unchanged pass hands back the graph it was given, not a copy."""
    return PassResult(after if changed else before, changed, details)


def copy_kept(graph: Graph, keep: Sequence[int]) -> Graph:
    """Copy ``graph`` in order, leaving out the nodes whose ``keep[position]`` is false.

    Every operand of a kept node must be kept too. Inputs are always copied, whatever ``keep``
    says: they are the graph's signature. ``graph`` must be well formed (positions are node
    indices). The copy makes nodes directly, not through a builder (which costs four times as
    much per node): a subset of a well-formed graph is well formed, interning included, so
    there is nothing for a builder to check or merge.
    """
    nodes: list[Node] = []
    inputs: list[Node] = []
    copies: list[Node | None] = [None] * len(graph.nodes)  # by old position (= node.index)
    for position, node in enumerate(graph.nodes):
        if not keep[position] and not node.is_input:
            continue
        operands = tuple([copies[operand.index] for operand in node.operands])
        copy = copies[position] = Node(len(nodes), node.op, operands, node.value, node.name)
        nodes.append(copy)
        if node.is_input:
            inputs.append(copy)
    outputs = tuple(copies[node.index] for node in graph.outputs)
    return Graph(nodes, tuple(inputs), outputs, graph.output_names)
