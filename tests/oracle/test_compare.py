"""Verdicts on hand-made outcomes: every verdict, special values, and the tolerance policy."""

import math

import pytest

from oracle.compare import Verdict, judge
from oracle.exact import analyze
from oracle.outcome import Outcome
from oracle.program import Program, Step
from oracle.references.ground_truth import GroundTruth

PROGRAM = Program(2, (Step("mul", (0, 1)), Step("tanh", (2,)), Step("add", (3, 0))))
POINT = (0.7, -1.3)


@pytest.fixture(scope="module")
def truth():
    return GroundTruth().evaluate(PROGRAM, [POINT])[0]


@pytest.fixture(scope="module")
def analysis():
    return analyze(PROGRAM, POINT)


def correct(truth):
    return Outcome(truth.value, truth.gradient)


def references(truth, **overrides):
    engines = {"torch": correct(truth), "jax": correct(truth), "mpmath": truth}
    engines.update(overrides)
    return engines


def nudged(outcome, index, relative):
    numbers = [outcome.value, *outcome.gradient]
    numbers[index] *= 1 + relative
    return Outcome(numbers[0], tuple(numbers[1:]))


def test_a_correct_engine_agrees(truth, analysis):
    assert judge(correct(truth), references(truth), analysis).verdict is Verdict.AGREE


@pytest.mark.parametrize("index", [0, 1, 2])
def test_an_error_of_a_relative_1e_minus_7_is_a_target_bug(truth, analysis, index):
    target = nudged(correct(truth), index, 1e-7)
    judgement = judge(target, references(truth), analysis)
    assert judgement.verdict is Verdict.TARGET_BUG
    assert judgement.quantity == ["value", "d/dx0", "d/dx1"][index]


def test_a_last_bit_difference_is_not_a_bug(truth, analysis):
    target = Outcome(math.nextafter(truth.value, 0.0), truth.gradient)
    assert judge(target, references(truth), analysis).verdict is Verdict.AGREE


def test_a_raising_target_is_exception_divergence(truth, analysis):
    target = Outcome.failure(RecursionError("maximum recursion depth exceeded"), 2)
    judgement = judge(target, references(truth), analysis)
    assert judgement.verdict is Verdict.EXCEPTION_DIVERGENCE
    assert "RecursionError" in judgement.explanation


def test_nan_where_the_references_have_numbers_is_a_nan_inf_mismatch(truth, analysis):
    target = Outcome(truth.value, (math.nan, truth.gradient[1]))
    assert judge(target, references(truth), analysis).verdict is Verdict.NAN_INF_MISMATCH


def test_special_values_match_exactly():
    nan_everywhere = Outcome(math.nan, (math.inf, -math.inf))
    engines = {"torch": nan_everywhere, "jax": nan_everywhere}
    assert judge(nan_everywhere, engines, None).verdict is Verdict.AGREE
    flipped = Outcome(math.nan, (-math.inf, -math.inf))
    assert judge(flipped, engines, None).verdict is Verdict.NAN_INF_MISMATCH


def test_signed_zeros_compare_equal():
    zero = Outcome(0.0, (0.0,))
    assert (
        judge(Outcome(-0.0, (-0.0,)), {"torch": zero, "jax": zero}, None).verdict is Verdict.AGREE
    )


def test_torch_and_jax_apart_without_a_ground_truth_means_references_disagree():
    # abs'(0): torch says 0, jax says 1.
    torch_like, jax_like = Outcome(0.0, (0.0,)), Outcome(0.0, (1.0,))
    judgement = judge(torch_like, {"torch": torch_like, "jax": jax_like}, None)
    assert judgement.verdict is Verdict.REFERENCES_DISAGREE


def test_a_reference_off_the_ground_truth_is_reported_not_blamed_on_the_target(truth, analysis):
    wrong_jax = nudged(correct(truth), 1, 1e-3)
    judgement = judge(correct(truth), references(truth, jax=wrong_jax), analysis)
    assert judgement.verdict is Verdict.REFERENCES_DISAGREE
    assert "jax" in judgement.explanation


def test_finite_differences_off_their_own_estimate_are_unreliable(truth, analysis):
    fd = Outcome(
        truth.value, (truth.gradient[0] * 1.01, truth.gradient[1]), gradient_error=(1e-9, 1e-9)
    )
    judgement = judge(correct(truth), references(truth, fd=fd), analysis)
    assert judgement.verdict is Verdict.FD_UNRELIABLE


def test_a_mismatch_at_an_ill_conditioned_case_is_not_called_a_bug(truth, analysis):
    from dataclasses import replace

    shaky = replace(analysis, ill_conditioned="an operand sits within rounding of a kink")
    target = nudged(correct(truth), 1, 1e-3)
    judgement = judge(target, references(truth), shaky)
    assert judgement.verdict is Verdict.ILL_CONDITIONED


def test_at_a_kink_anything_between_the_one_sided_derivatives_agrees():
    kink = Outcome(0.0, (0.0,), gradient_error=(0.0,), one_sided=((-1.0, 1.0),))
    torch_like, jax_like = Outcome(0.0, (0.0,)), Outcome(0.0, (1.0,))
    engines = {"mpmath": kink, "torch": torch_like, "jax": jax_like}
    assert judge(Outcome(0.0, (0.5,)), engines, None).verdict is Verdict.AGREE
    assert judge(Outcome(0.0, (2.0,)), engines, None).verdict is Verdict.TARGET_BUG
