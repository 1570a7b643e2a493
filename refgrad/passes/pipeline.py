"""The optimizer: simplify, fold, cse and dce, in rounds, until a round changes nothing.

The passes feed each other, which is why one sweep is not enough: folding makes the constants
that simplification matches (``x * (0.5 + 0.5)`` needs folding before ``x * 1.0 -> x``),
simplification and folding leave duplicates for CSE and dead operands for DCE. Every pass is
exact (see :mod:`refgrad.passes`), so any number of rounds is exact; the number is bounded
anyway (``max_rounds``) so that a future pass that undoes another cannot loop forever.

``optimize`` verifies the graph it is given, so a malformed graph gets a
:class:`~refgrad.graph.GraphError` naming the problem instead of a confusing failure inside a
pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

from refgrad.collector import collector_paused
from refgrad.graph import Graph
from refgrad.passes import PassResult, cse, dce, fold, simplify


class Pass(NamedTuple):
    """A pass as the pipeline runs it: a name for the report and its ``run`` function."""

    name: str
    run: Callable[[Graph], PassResult]


class Step(NamedTuple):
    """One pass run in the report: its name, whether it changed the graph, node counts."""

    name: str
    changed: bool
    nodes_before: int
    nodes_after: int


DEFAULT: tuple[Pass, ...] = (
    Pass("simplify", simplify.run),
    Pass("fold", fold.run),
    Pass("cse", cse.run),
    Pass("dce", dce.run),
)

# One sweep of simplify-with-folding (re-interning as it goes, so also CSE), then DCE: every
# node comes out in normal form because its operands already are (the sweep is in topological
# order), so one round reaches DEFAULT's fixed point at a third of the cost
# (tests/test_passes.py checks that DEFAULT then finds nothing to do). The modes get the same
# normal form without a sweep: autodiff.reverse emits into a simplify.SimplifyingBuilder.
SINGLE_SWEEP: tuple[Pass, ...] = (
    Pass("simplify+fold", functools.partial(simplify.run, fold=True)),
    Pass("dce", dce.run),
)

MAX_ROUNDS = 10


def optimize(
    graph: Graph, passes: Sequence[Pass] = DEFAULT, max_rounds: int = MAX_ROUNDS
) -> tuple[Graph, list[Step]]:
    """Run ``passes`` in order, round after round, until a whole round changes nothing.

    Returns the optimized graph and the report: one :class:`Step` per pass run. After at most
    ``max_rounds`` rounds it stops even if the last round changed something.
    """
    graph.verify()
    report: list[Step] = []
    with collector_paused():
        for _ in range(max_rounds):
            graph, changed = _round(graph, passes, report)
            if not changed:
                break
    return graph, report


def _round(graph: Graph, passes: Sequence[Pass], report: list[Step]) -> tuple[Graph, bool]:
    """Run each pass once; return the graph and whether any pass changed it."""
    any_changed = False
    for name, run in passes:
        outcome = run(graph)
        report.append(Step(name, outcome.changed, len(graph.nodes), len(outcome.graph.nodes)))
        graph = outcome.graph
        any_changed = any_changed or outcome.changed
    return graph, any_changed
