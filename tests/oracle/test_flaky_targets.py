"""A target that answers differently when a case is replayed.

micrograd is one: its backward pass recurses in an order set by memory addresses, so a deep
program crashes it in one run and not in the next. Hypothesis then raises ``FlakyFailure``, a
group that can hold two failures of one verdict (the one it had shrunk so far and the one just
seen). The campaign reports each verdict once, with its smallest case, and says why.
"""

import pytest
from hypothesis.errors import FlakyFailure

import refgrad
from oracle.compare import Verdict
from oracle.ops import PYTHON_CALLS
from oracle.program import Program, Step
from oracle.runner import FLAKY_REPLAY_NOTE, Campaign, Found, Settings
from oracle.strategies import Case
from oracle.targets.function_protocol import FunctionProtocolTarget

SMALL = Case("smooth", Program(1, (Step("sin", (0,)),)), ((0.5,),))
LARGE = Case("smooth", Program(1, (Step("sin", (0,)), Step("exp", (1,)))), ((0.5,),))


def crashing_target() -> FunctionProtocolTarget:
    """refgrad through the function protocol, raising on every case once it is loaded (the
    target's own probe of each op at load time must pass)."""
    loaded = []

    def transform(function, argnums):
        if loaded:
            raise RuntimeError("planted crash")
        return refgrad.value_and_grad(function, argnums=argnums)

    target = FunctionProtocolTarget("crashes-once-loaded", PYTHON_CALLS, transform)
    loaded.append(True)
    return target


def replaying_flakily(found: list[Found]):
    """A stand-in for the campaign's Hypothesis test: it checks LARGE, then SMALL, and raises
    what Hypothesis raises when a replay disagrees, with both failures in the group."""

    def hypothesis_test(check, unit, strategy, examples):
        def run():
            for case in (LARGE, SMALL):
                with pytest.raises(Found) as raised:
                    check(case)
                found.append(raised.value)
            raise FlakyFailure("Inconsistent results from replaying a test case!", found)

        return run

    return hypothesis_test


def test_a_flaky_replay_gives_one_bug_per_verdict_with_its_smallest_case(monkeypatch):
    campaign = Campaign(crashing_target(), Settings(families=("smooth",), references=("mpmath",)))
    found: list[Found] = []
    monkeypatch.setattr(campaign, "_hypothesis_test", replaying_flakily(found))
    [unit] = campaign.units()

    result = campaign.run_unit(unit)

    assert [error.result.verdict for error in found] == [Verdict.EXCEPTION_DIVERGENCE] * 2
    [bug] = result.bugs
    assert bug.verdict is Verdict.EXCEPTION_DIVERGENCE
    assert bug.case == SMALL
    assert "planted crash" in bug.judgement.explanation
    assert FLAKY_REPLAY_NOTE in result.notes
