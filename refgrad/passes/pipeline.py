"""The optimizer: simplify, fold, cse and dce, in rounds, until a round changes nothing.

The passes feed each other, which is why one sweep is not enough: folding makes the constants
that simplification matches (``x * (0.5 + 0.5)`` needs folding before ``x * 1.0 -> x``),
simplification and folding leave duplicates for CSE and dead operands for DCE. Every pass is
exact (see :mod:`refgrad.passes`), so any number of rounds is exact; the number is bounded
anyway (``max_rounds``) so that a future pass that undoes another cannot loop forever.

``optimize`` verifies the graph it is given, so a malformed graph gets a
:class:`~refgrad.graph.GraphError` naming the problem instead of a confusing failure inside a
pass.

Every pass has a name in :data:`PASSES`; :func:`resolve` turns names into passes, for callers
that choose them (``value_and_grad(f, mode="static", passes=("cse",))``, the oracle's
``oracle passes``).
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
# order), so one round reaches *a* fixed point of DEFAULT at a third of the cost
# (tests/test_passes.py checks that DEFAULT then finds nothing to do). Not always the graph
# DEFAULT reaches from scratch: in about 15% of `oracle passes` programs DEFAULT's is smaller
# (it gives `x0 - 1.0` where the sweep keeps `x0 + -1.0`), with the same results bit for bit.
# The modes get the sweep's normal form without a sweep: autodiff.reverse emits into a
# simplify.SimplifyingBuilder.
SINGLE_SWEEP: tuple[Pass, ...] = (
    Pass("simplify+fold", functools.partial(simplify.run, fold=True)),
    Pass("dce", dce.run),
)

MAX_ROUNDS = 10

PASSES: dict[str, Pass] = {step.name: step for step in (*DEFAULT, *SINGLE_SWEEP)}
"""Every pass by name: simplify, fold, cse, dce, and simplify+fold (the single sweep's)."""


def resolve(passes: Sequence[str | Pass]) -> tuple[Pass, ...]:
    """``passes`` as :class:`Pass` es: names of :data:`PASSES`, or passes as they are."""
    if isinstance(passes, str):  # a str is a sequence too: of one-letter "names"
        raise TypeError(f"passes must be a sequence of pass names, such as ({passes!r},)")
    resolved = []
    for step in passes:
        if isinstance(step, Pass):
            resolved.append(step)
        elif step in PASSES:
            resolved.append(PASSES[step])
        else:
            raise ValueError(f"unknown pass {step!r}; refgrad's passes are: {', '.join(PASSES)}")
    return tuple(resolved)


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
