"""The strategies draw what their families promise, and shrink to small programs."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from oracle.ops import OPS
from oracle.strategies import SPECIAL_INPUTS, cases, smooth_step_value

FIND = settings(
    database=None, max_examples=300, suppress_health_check=list(HealthCheck), deadline=None
)


@given(cases("smooth"))
def test_smooth_cases_stay_inside_every_smooth_domain(case):
    values = [np.array(column) for column in zip(*case.points, strict=True)]
    for step in case.program.steps:
        result = smooth_step_value(step, values)
        assert result is not None, f"{step} leaves the smooth domain"
        values.append(result)
    assert all(1e-4 <= abs(x) < 1e5 for point in case.points for x in point)


@given(cases("smooth"))
def test_every_smooth_step_reaches_the_output(case):
    uses = case.program.uses()
    assert all(uses[i] > 0 for i in range(case.program.n_inputs, case.program.output))


# Deep programs are thousands of steps: a few examples suffice, and their reprs are long.
DEEP = settings(max_examples=10)
LONG_REPRS = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@LONG_REPRS
@DEEP
@given(cases("deep"))
def test_deep_cases_are_residual_chains(case):
    program = case.program
    assert program.ops[-2:] == ("mul", "add")
    assert program.depth() >= len(program) // 4


@LONG_REPRS
def test_deep_family_reaches_thousands_of_steps():
    fast = settings(FIND, max_examples=20, phases=[Phase.generate])
    deep = find(cases("deep"), lambda case: case.program.depth() >= 1_500, settings=fast)
    assert deep.program.depth() >= 1_500


def test_edge_family_draws_special_inputs():
    def special(case):
        flat = [x for point in case.points for x in point]
        return any(math.isnan(x) for x in flat) and any(math.isinf(x) for x in flat)

    assert find(cases("edge"), special, settings=FIND)
    assert any(math.isnan(x) for x in SPECIAL_INPUTS)


def test_a_fan_out_pattern_shrinks_to_a_minimal_program():
    # Find a program where some tanh output feeds two later steps. The smallest is 2 steps
    # (tanh, then v + v); Hypothesis's shrinker stops at a local minimum close to it.
    def tanh_with_fan_out(case):
        uses = case.program.uses()
        return any(
            step.op == "tanh" and uses[case.program.n_inputs + k] >= 2
            for k, step in enumerate(case.program.steps)
        )

    minimal = find(cases("smooth"), tanh_with_fan_out, settings=FIND)
    assert len(minimal.program) <= 4, minimal.program


def test_op_subsets_are_respected():
    @given(cases("smooth", ops=("add", "mul", "relu")))
    def only_those(case):
        assert set(case.program.ops) <= {"add", "mul", "relu"}

    only_those()


def test_unknown_family_or_op_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown family"):
        cases("gentle")
    with pytest.raises(ValueError, match="unknown ops"):
        cases("smooth", ops=("add", "erf"))
    assert "erf" not in OPS
