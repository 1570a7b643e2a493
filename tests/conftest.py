"""Shared test configuration: Hypothesis profiles that behave the same locally and under CI.

With ``CI`` set, Hypothesis would load its built-in ``ci`` profile; refgrad's profiles set every
setting that matters explicitly (derandomized, no example database, no deadline), so a test
sees the same examples on a laptop and in CI. ``REFGRAD_HYPOTHESIS_PROFILE=thorough`` runs
many more examples for local exploration.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(
    derandomize=True,  # same examples every run, everywhere: failures reproduce
    database=None,
    deadline=None,  # a noisy 2-core machine must not turn slowness into failures
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("refgrad", max_examples=100, **_COMMON)
settings.register_profile("thorough", max_examples=2_000, **_COMMON)
settings.load_profile(os.environ.get("REFGRAD_HYPOTHESIS_PROFILE", "refgrad"))


@pytest.fixture(autouse=True, scope="session")
def same_examples_in_every_process():
    """Hypothesis draws some numbers from constants in whatever local modules are imported, so
    examples would differ between pytest-xdist workers; oracle.determinism turns that off."""
    from oracle.determinism import fixed_constants

    with fixed_constants():
        yield
