"""``refgrad.jvp``: forward mode in the eager, static and compiled modes.

Forward mode must agree with reverse mode (``J v = <grad, v>``) on random programs, with torch's
forward mode on a fixed one, and keep the staged modes' guards and eager fallback.
"""

import math
import warnings

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refgrad
from refgrad import TraceEscapeWarning
from tests.programs import is_finite_and_moderate, points, programs

MODES = ("eager", "static", "compiled")

PROGRAMS_POINTS_DIRECTIONS = programs(max_inputs=3, max_steps=8).flatmap(
    lambda program: st.tuples(
        st.just(program),
        points(program.n_inputs),
        st.lists(st.floats(-3.0, 3.0), min_size=program.n_inputs, max_size=program.n_inputs).map(
            tuple
        ),
    )
)


@pytest.mark.parametrize("mode", MODES)
@given(data=PROGRAMS_POINTS_DIRECTIONS)
def test_forward_mode_is_the_gradient_projected_on_the_direction(mode, data):
    program, point, direction = data

    def f(*inputs):
        return program.run(inputs)

    value, gradient = refgrad.value_and_grad(f, argnums=tuple(range(len(point))))(*point)
    assume(all(is_finite_and_moderate(x) for x in (value, *gradient)))
    forward_value, tangent = refgrad.jvp(f, mode=mode)(point, direction)
    assert forward_value == value
    projected = math.fsum(g * v for g, v in zip(gradient, direction, strict=True))
    scale = sum(abs(g * v) for g, v in zip(gradient, direction, strict=True))
    # Forward mode sums over operands where reverse mode sums over consumers: the roundings
    # differ, by a few ulps of the terms summed.
    assert abs(tangent - projected) <= 1e-12 * scale + 1e-300, (program, point, direction)


def test_forward_mode_matches_torch_func_jvp():
    torch = pytest.importorskip("torch")

    def f(x, y):
        return (x * y).sin() + (x / y).tanh() + x**2.0 - y.exp() * x

    point, direction = (1.3, 0.7), (1.0, -2.0)
    expected_value, expected_tangent = torch.func.jvp(
        f,
        tuple(torch.tensor(x, dtype=torch.float64) for x in point),
        tuple(torch.tensor(v, dtype=torch.float64) for v in direction),
    )
    for mode in MODES:
        value, tangent = refgrad.jvp(f, mode=mode)(point, direction)
        assert value == pytest.approx(expected_value.item(), rel=1e-15)
        assert tangent == pytest.approx(expected_tangent.item(), rel=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_constants_and_unused_inputs_carry_no_tangent(mode):
    jvp = refgrad.jvp(lambda x, y: 3.0 * x + 2.0, mode=mode)
    assert jvp((1.5, 4.0), (2.0, 100.0)) == (6.5, 6.0)
    assert refgrad.jvp(lambda x: 5.0, mode=mode)((1.0,), (1.0,)) == (5.0, 0.0)


def branchy(x):
    return x * x * x if x > 0 else x * x


@pytest.mark.parametrize("mode", ("static", "compiled"))
def test_each_path_gets_its_own_traced_jvp(mode):
    jvp = refgrad.jvp(branchy, mode=mode)
    assert jvp((3.0,), (1.0,)) == (27.0, 27.0)
    assert jvp((-3.0,), (1.0,)) == (9.0, -6.0)
    assert jvp((2.0,), (0.5,)) == (8.0, 6.0)
    [paths] = jvp.runner.specialisations.values()  # one argument list, two paths
    assert len(paths) == 2


@pytest.mark.parametrize("mode", ("static", "compiled"))
def test_an_escaping_trace_falls_back_to_eager_with_a_warning(mode):
    def reads_a_number(x, y):
        scale = 2.0 if x.data > 0 else 3.0
        return scale * x * y

    jvp = refgrad.jvp(reads_a_number, mode=mode)
    with pytest.warns(TraceEscapeWarning):
        assert jvp((1.0, 5.0), (1.0, 0.0)) == (10.0, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then eager quietly
        assert jvp((-1.0, 5.0), (0.0, 1.0)) == (-15.0, -3.0)


def test_bad_calls_are_clear_errors():
    with pytest.raises(ValueError, match="jvp runs in modes 'eager', 'static', 'compiled'"):
        refgrad.jvp(lambda x: x, mode="batched")
    with pytest.raises(ValueError, match="unknown mode 'forward'"):
        refgrad.jvp(lambda x: x, mode="forward")
    jvp = refgrad.jvp(lambda x, y: x * y)
    with pytest.raises(ValueError, match="one tangent per primal: 2 primals, 1 tangents"):
        jvp((1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="tangent 1 must be a real number, got str"):
        jvp((1.0, 2.0), (1.0, "up"))
    with pytest.raises(ValueError, match="needs at least one primal"):
        jvp((), ())


def test_jvp_does_not_nest_inside_another_transform():
    inner = refgrad.jvp(lambda x: x * x)
    outer = refgrad.grad(lambda x: inner((x,), (1.0,))[1])
    with pytest.raises(ValueError, match="jvp cannot run inside another refgrad transform"):
        outer(2.0)
