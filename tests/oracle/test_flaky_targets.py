"""A target that answers differently when a case is replayed.

micrograd is one: its backward pass recurses in an order set by memory addresses, so a deep
program crashes it in one run and not in the next. Hypothesis then raises ``FlakyFailure``, a
group that can hold two failures of one verdict (the one it had shrunk so far and the one just
seen). The campaign reports each verdict once, with its smallest case, and says why.
"""

from hypothesis.errors import FlakyFailure

import refgrad
from oracle.compare import Verdict
from oracle.ops import PYTHON_CALLS
from oracle.program import Program, Step
from oracle.runner import FLAKY_REPLAY_NOTE, Campaign, Found, Settings, UnitResult
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
    what Hypothesis raises when a replay disagrees, with every failure seen in the group."""

    def hypothesis_test(check, unit, strategy, examples):
        def run():
            for case in (LARGE, SMALL):
                try:
                    check(case)
                except Found as error:
                    found.append(error)
            raise FlakyFailure("Inconsistent results from replaying a test case!", found)

        return run

    return hypothesis_test


def run_flakily(shrink_seconds: float, monkeypatch) -> tuple[list[Found], UnitResult]:
    settings = Settings(families=("smooth",), references=("mpmath",), shrink_seconds=shrink_seconds)
    campaign = Campaign(crashing_target(), settings)
    found: list[Found] = []
    monkeypatch.setattr(campaign, "_hypothesis_test", replaying_flakily(found))
    [unit] = campaign.units()
    return found, campaign.run_unit(unit)


def test_a_flaky_replay_gives_one_bug_per_verdict_with_its_smallest_case(monkeypatch):
    found, result = run_flakily(60.0, monkeypatch)

    assert [error.result.verdict for error in found] == [Verdict.EXCEPTION_DIVERGENCE] * 2
    [bug] = result.bugs
    assert bug.verdict is Verdict.EXCEPTION_DIVERGENCE
    assert bug.case == SMALL
    assert "planted crash" in bug.judgement.explanation
    assert FLAKY_REPLAY_NOTE in result.notes


def test_a_replay_that_passes_because_the_shrink_budget_ran_out_is_not_called_flaky(monkeypatch):
    # With the budget spent the check passes every case, the final replay too, and Hypothesis
    # raises FlakyFailure: the target did nothing wrong, so no note blames it.
    found, result = run_flakily(0.0, monkeypatch)

    assert [error.result.case for error in found] == [LARGE]
    [bug] = result.bugs
    assert bug.case == LARGE
    assert FLAKY_REPLAY_NOTE not in result.notes
