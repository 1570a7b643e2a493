"""Same seed, same campaign: shielding Hypothesis's generation from what else is imported.

Hypothesis (6.130 and later) sometimes draws numbers from a pool of literal constants it
collects from every *local* module that happens to be imported. The same seed then generates
different cases under pytest (with the test modules loaded) than from the command line, and
differently again on each pytest-xdist worker. A campaign must not depend on that, so while
it runs, the pool of local constants is empty; Hypothesis's own built-in constants stay.

:func:`seeded_test` wraps a test function the way every oracle campaign runs one: seeded,
quiet, no deadline, no health checks.

This reaches into a private part of Hypothesis (``providers._get_local_constants`` and its
cache); where that is absent (another Hypothesis version), :func:`fixed_constants` does nothing
and says so through :data:`SHIELDED`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager

from hypothesis import HealthCheck, Phase, Verbosity, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.database import ExampleDatabase
from hypothesis.strategies import SearchStrategy

try:
    from hypothesis.internal.conjecture import providers as _providers

    SHIELDED = hasattr(_providers, "_get_local_constants") and hasattr(
        _providers, "CONSTANTS_CACHE"
    )
except ImportError:  # pragma: no cover - a Hypothesis without the module
    SHIELDED = False


@contextmanager
def fixed_constants():
    """Run the block with no local constants in Hypothesis's generation."""
    if not SHIELDED:
        yield
        return
    original = _providers._get_local_constants
    empty = _providers.Constants()
    _providers.CONSTANTS_CACHE.cache.clear()  # it holds choices made with the old pool
    _providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        _providers._get_local_constants = original
        _providers.CONSTANTS_CACHE.cache.clear()


def seeded_test(
    test: Callable,
    strategy: SearchStrategy,
    *,
    seed_value: int,
    max_examples: int,
    phases: Sequence[Phase],
    database: ExampleDatabase | None = None,
    report_multiple_bugs: bool = True,
) -> Callable[[], None]:
    """``test(case)`` as a Hypothesis test over ``strategy``, run as the oracle's campaigns run:
    the seed decides whatever profile a test suite has loaded, quietly, with no deadline (a
    target may be slow) and no health checks (deep programs are large by design)."""
    wrapped = seed(seed_value)(given(strategy)(test))
    return hypothesis_settings(
        max_examples=max_examples,
        derandomize=False,
        database=database,
        deadline=None,
        phases=tuple(phases),
        report_multiple_bugs=report_multiple_bugs,
        verbosity=Verbosity.quiet,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )(wrapped)
