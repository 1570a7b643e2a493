"""The exact analysis and the ground truth: derivatives, precision, bounds, kinks."""

import math

import mpmath
import pytest

from oracle.exact import NotApplicable, analyze
from oracle.program import Const, Program, Step
from oracle.references.ground_truth import GroundTruth

TANH = Program(1, (Step("tanh", (0,)),))


def sech_squared(x):
    return 1.0 / math.cosh(x) ** 2


@pytest.mark.parametrize("x", [0.3, -2.0, 7.5])
def test_ground_truth_and_chain_rule_agree_with_calculus(x):
    truth = GroundTruth().evaluate(TANH, [(x,)])[0]
    analysis = analyze(TANH, (x,))
    assert truth.gradient[0] == pytest.approx(sech_squared(x), rel=1e-15)
    assert float(analysis.gradient[0]) == pytest.approx(sech_squared(x), rel=1e-15)
    assert truth.gradient_error[0] <= 1e-20 * abs(truth.gradient[0])


def test_ground_truth_resolves_gradients_hidden_under_a_large_output():
    # d/dx1 = sigmoid'(-119) ~ 2e-52, next to an output near 1: needs ~90 digits.
    program = Program(2, (Step("sigmoid", (1,)), Step("cos", (0,)), Step("add", (2, 3))))
    truth = GroundTruth().evaluate(program, [(0.5, -119.0)])[0]
    expected = float(mpmath.exp(-119) / (1 + mpmath.exp(-119)) ** 2)
    assert truth.gradient[1] == pytest.approx(expected, rel=1e-12)


def test_unused_inputs_have_exactly_zero_gradient():
    program = Program(2, (Step("exp", (0,)),))
    truth = GroundTruth().evaluate(program, [(0.5, 3.0)])[0]
    assert truth.gradient[1] == 0.0 and truth.gradient_error[1] == 0.0


def test_at_a_kink_the_ground_truth_gives_both_one_sided_derivatives():
    program = Program(1, (Step("sub", (0, Const(1.0))), Step("abs", (1,))))
    truth = GroundTruth().evaluate(program, [(1.0,)])[0]
    assert sorted(truth.one_sided[0]) == pytest.approx([-1.0, 1.0])


def test_no_ground_truth_where_the_exact_value_is_undefined():
    program = Program(1, (Step("log", (0,)),))
    assert "undefined" in GroundTruth().evaluate(program, [(-1.0,)])[0].error
    assert "not finite" in GroundTruth().evaluate(program, [(math.inf,)])[0].error
    with pytest.raises(NotApplicable):
        analyze(program, (-1.0,))


def test_no_ground_truth_where_an_exact_value_is_too_large_to_compute():
    # exp(2e308): about 1e308 digits before the point; the oracle once tried to compute them.
    program = Program(2, (Step("mul", (0, 1)), Step("exp", (2,))))
    [outcome] = GroundTruth().evaluate(program, [(1e308, 2.0)])
    assert (
        outcome.error == "no ground truth: an exact value is too large: it needs over 2000 digits"
    )
    with pytest.raises(NotApplicable, match="too large"):
        analyze(program, (1e308, 2.0))
    # exp(exp(1e308)): mpmath itself overflows.
    twice = Program(1, (Step("exp", (0,)), Step("exp", (1,))))
    [outcome] = GroundTruth().evaluate(twice, [(1e308,)])
    assert outcome.error.startswith("no ground truth: an exact value is too large for mpmath")


def test_bounds_cover_a_correct_engines_rounding():
    # torch's tanh backward, g * (1 - y*y), is computed from the rounded output: at x = 10 its
    # relative error is ~1e-8, and the bound must allow it.
    import torch

    x = torch.tensor(10.0, dtype=torch.float64, requires_grad=True)
    x.tanh().backward()
    analysis = analyze(TANH, (10.0,))
    error = abs(x.grad.item() - float(analysis.gradient[0]))
    assert error <= analysis.gradient_bound[0]
    assert analysis.gradient_bound[0] < 1e-6 * float(analysis.gradient[0])


def test_bounds_are_tight_enough_to_see_a_relative_1e_minus_7_error():
    program = Program(
        2, (Step("mul", (0, 1)), Step("tanh", (2,)), Step("log", (0,)), Step("add", (3, 4)))
    )
    analysis = analyze(program, (1.3, 0.4))
    for gradient, bound in zip(analysis.gradient, analysis.gradient_bound, strict=True):
        assert 0 < bound < 1e-12 * abs(float(gradient))


def test_an_operand_within_rounding_of_a_kink_is_ill_conditioned():
    # x - 0.1 at x = 0.1 + 1 ulp: the float64 difference is dominated by rounding, so which
    # side of relu's kink a float64 engine lands on is not determined by the math.
    x = math.nextafter(0.1, 1.0)
    program = Program(
        1, (Step("mul", (0, Const(3.0))), Step("sub", (1, Const(0.3))), Step("relu", (2,)))
    )
    analysis = analyze(program, (x,))
    assert analysis.ill_conditioned is not None and "kink" in analysis.ill_conditioned
    assert analyze(program, (1.0,)).ill_conditioned is None
