"""refgrad, in every mode, against every reference, on random programs (Hypothesis).

The same judgement ``oracle check`` makes, as a property test: no case may be a bug. The
profile in tests/conftest.py makes the examples the same locally and under CI.
"""

import functools

import pytest
from hypothesis import given, settings

from oracle import references, targets
from oracle.runner import Campaign, Settings
from oracle.strategies import cases

TARGETS = ("refgrad", *(f"refgrad-{mode}" for mode in targets.REFGRAD_MODES))


@functools.cache  # one campaign per target for the session (Hypothesis re-enters the test)
def campaign(name: str) -> Campaign:
    return Campaign(targets.load(name), Settings(references=tuple(references.available())))


def assert_no_bug(name, case):
    result = campaign(name).evaluate(case)
    assert not result.verdict.is_bug, (
        f"{result.judgement.explanation}\n{case.program}\nat {case.points[result.worst_point]}"
    )


@pytest.mark.parametrize("name", TARGETS)
def test_smooth_programs(name):
    given(cases("smooth"))(lambda case: assert_no_bug(name, case))()


@pytest.mark.parametrize("name", TARGETS)
def test_deep_programs(name):
    # Thousands of steps each: a few examples per mode.
    run = settings(max_examples=3)(given(cases("deep"))(lambda case: assert_no_bug(name, case)))
    run()


def test_every_reference_is_installed_for_the_tests():
    # The test extra installs torch, jax and mpmath: a missing one would silently weaken the
    # checks above.
    assert references.available() == list(references.ALL)
