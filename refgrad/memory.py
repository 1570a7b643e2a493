"""Liveness-based memory planning: which variable ("slot") holds each node's value.

A straight-line program needs a value only from the node that computes it to its last use.
Giving every node its own variable would make a 100,000-node graph a function with 100,000
locals and keep every intermediate alive to the end; instead, a node's slot is handed back
once its last reader has run and the next node to be computed takes the lowest free slot (as
a register allocator does over one basic block, and as torch.fx's codegen frees values after
their last use). The number of slots is then the peak number of values alive at once.

Two things generated code does change what "use" means, and the planner takes both:

* *Inlining* (fusion): a node computed inside its only user's expression has no slot of its
  own, and its operands are read where that user's statement runs, so they stay alive until
  then.
* *Dead code*: nodes no output needs are not emitted, so they need no slot.

A slot may be reused by the very node that reads its last value (``s0 = _exp(s0)``): Python
evaluates a right-hand side completely before assigning it.

Every walk here is a loop over ``graph.nodes`` (design principle 6: no recursion).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from dataclasses import dataclass

from refgrad.graph import Graph, GraphError


@dataclass(frozen=True)
class MemoryPlan:
    """Slots for the values of a graph's nodes.

    ``slot_of[i]`` is node ``i``'s slot, or None if the node needs none (a constant, a node
    inlined into its user, or one the code does not compute). ``last_use[i]`` is the position
    of the statement that reads node ``i`` last (``node_count`` for outputs, which stay live to
    the end; the node's own position if nothing reads it). ``slot_count`` is the peak number of
    values alive at once, which is also how many distinct slots there are.
    """

    slot_of: tuple[int | None, ...]
    last_use: tuple[int, ...]
    slot_count: int
    node_count: int

    def __str__(self) -> str:
        return f"peak {self.slot_count:,} live slots for {self.node_count:,} nodes"


def needed_nodes(graph: Graph) -> list[bool]:
    """Per node: does some output depend on it? (One backward sweep over the node list.)"""
    needed = [False] * len(graph.nodes)
    for node in graph.outputs:
        needed[node.index] = True
    for node in reversed(graph.nodes):
        if needed[node.index]:
            for operand in node.operands:
                needed[operand.index] = True
    return needed


def use_counts(graph: Graph, needed: list[bool] | None = None) -> list[int]:
    """Per node: how many operand positions (and output positions) read it.

    ``x * x`` reads ``x`` twice. With ``needed``, reads by unneeded nodes do not count.
    """
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        if needed is None or needed[node.index]:
            for operand in node.operands:
                uses[operand.index] += 1
    for node in graph.outputs:
        uses[node.index] += 1
    return uses


def needed_nodes_and_uses(graph: Graph) -> tuple[list[bool], list[int]]:
    """:func:`needed_nodes` and ``use_counts(graph, needed)`` in one backward sweep.

    Every reader of a node comes after it, so when the sweep reaches a node, whether it is
    needed and how often needed nodes read it are final.
    """
    needed = [False] * len(graph.nodes)
    uses = [0] * len(graph.nodes)
    for node in graph.outputs:
        needed[node.index] = True
        uses[node.index] += 1
    for node in reversed(graph.nodes):
        if needed[node.index]:
            for operand in node.operands:
                needed[operand.index] = True
                uses[operand.index] += 1
    return needed, uses


def plan_memory(
    graph: Graph,
    *,
    inlined: Collection[int] = frozenset(),
    skip_dead: bool = False,
    slot_inputs: bool = True,
    needed: list[bool] | None = None,
    uses: list[int] | None = None,
) -> MemoryPlan:
    """Assign slots to the nodes of ``graph`` so that no slot is overwritten while needed.

    ``inlined``: indices of op nodes computed inside their only user's expression (each must
    have exactly one use, by another node). ``skip_dead``: give no slot to nodes that no output
    needs. ``slot_inputs``: give inputs slots (False when they stay in function parameters).
    ``needed`` and ``uses``: :func:`needed_nodes` and :func:`use_counts` of the graph (with
    ``skip_dead``), if the caller has them already.
    Deterministic: nodes are visited in order and always take the lowest free slot.
    """
    count = len(graph.nodes)
    if needed is None:
        needed = needed_nodes(graph) if skip_dead else [True] * count
    inlined = frozenset(inlined)
    last_use = _last_uses(graph, inlined, needed, uses or use_counts(graph, needed))

    slot_of: list[int | None] = [None] * count
    dying: dict[int, list[int]] = {}  # position -> the nodes it reads last
    free: list[int] = []  # a heap: the lowest free slot is reused first
    slot_count = 0
    for node in graph.nodes:
        position = node.index
        if not needed[position] or position in inlined:
            continue
        if node.op is None and (node.name is None or not slot_inputs):  # constant; input
            continue
        # Every last use is such a statement (a computed op node), so nothing is missed.
        for finished in dying.pop(position, ()):  # their last reader is this statement
            heapq.heappush(free, slot_of[finished])
        if free:
            slot_of[position] = heapq.heappop(free)
        else:
            slot_of[position] = slot_count
            slot_count += 1
        if last_use[position] == position:  # nothing reads it: free at once
            heapq.heappush(free, slot_of[position])
        elif last_use[position] < count:
            dying.setdefault(last_use[position], []).append(position)
    return MemoryPlan(tuple(slot_of), tuple(last_use), slot_count, count)


def _last_uses(
    graph: Graph, inlined: frozenset[int], needed: list[bool], uses: list[int]
) -> list[int]:
    """Per node: the position of the last statement that reads it (see :class:`MemoryPlan`).

    A statement reads its node's operands, and an inlined node's operands are read where its
    only user's statement is (its *home*). One backward sweep finds both: a user comes after
    its operands, so when the sweep reaches a node, its home is final.
    """
    count = len(graph.nodes)
    home = list(range(count))
    last_use = list(range(count))
    homed = bytearray(count)  # inlined nodes whose user the sweep has met
    for node in reversed(graph.nodes):
        index = node.index
        if not needed[index]:
            continue
        reader = home[index]
        for operand in node.operands:
            at = operand.index
            if reader > last_use[at]:  # (not max(): this runs per operand)
                last_use[at] = reader
            if at in inlined:
                home[at] = reader
                homed[at] = 1
    nodes = graph.nodes
    wrong = [i for i in inlined if nodes[i].op is None or uses[i] != 1 or not homed[i]]
    if wrong:
        raise GraphError(
            f"{nodes[min(wrong)]!r} cannot be inlined: only an op node read once, by another "
            "node, can"
        )
    for node in graph.outputs:
        last_use[node.index] = count
    return last_use
