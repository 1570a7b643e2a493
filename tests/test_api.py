"""The functional API: grad, value_and_grad, hessian, their composition and their errors."""

from __future__ import annotations

import gc
import math

import pytest

import refgrad
from refgrad import Value, grad, hessian, value_and_grad


def f_xy(x, y):
    # arithmetic only: arguments not in argnums are passed through as plain floats (as in JAX)
    return x * y + y * y * x


def test_value_and_grad_returns_python_floats():
    value, gradient = value_and_grad(lambda x: x.tanh() * 3.0)(0.5)
    assert type(value) is float and type(gradient) is float
    assert value == math.tanh(0.5) * 3.0
    assert gradient == pytest.approx(3.0 * (1 - math.tanh(0.5) ** 2), rel=1e-15)


def test_argnums_int_gives_one_gradient_and_tuple_gives_a_tuple():
    # d/dx = y + y*y = 12, d/dy = x + 2*x*y = 14 at (2, 3)
    assert grad(f_xy)(2.0, 3.0) == 12.0
    assert grad(f_xy, argnums=1)(2.0, 3.0) == 14.0
    assert grad(f_xy, argnums=(0, 1))(2.0, 3.0) == (12.0, 14.0)
    assert grad(f_xy, argnums=(1,))(2.0, 3.0) == (14.0,)
    assert grad(f_xy, argnums=-1)(2.0, 3.0) == 14.0


def test_gradients_match_value_backward_bit_for_bit():
    x, y = Value(0.3), Value(-1.7)
    out = (x * y).sigmoid() / (x + y.exp())
    out.backward()
    gradients = grad(lambda a, b: (a * b).sigmoid() / (a + b.exp()), argnums=(0, 1))(0.3, -1.7)
    assert gradients == (x.grad, y.grad)


def test_other_arguments_and_keywords_pass_through_untouched():
    def scaled(x, name, *, factor):
        assert name == "label"
        return x * factor

    assert grad(scaled)(2.0, "label", factor=4.0) == 4.0


def test_value_arguments_at_top_level_are_not_mutated():
    x = Value(2.0)
    assert grad(lambda v: v * v)(x) == 4.0
    assert x.grad == 0.0


def test_a_function_returning_a_number_has_zero_gradient():
    assert value_and_grad(lambda x: 5)(1.0) == (5.0, 0.0)
    assert grad(lambda x, y: y, argnums=(0, 1))(1.0, Value(2.0)) == (0.0, 1.0)


# --- composition ---------------------------------------------------------------------------


def test_grad_of_grad_is_the_second_derivative():
    def cube(x):
        return x**3

    assert grad(grad(cube))(2.0) == 12.0
    assert grad(grad(grad(cube)))(2.0) == 6.0
    assert grad(grad(lambda x: x.sin()))(0.4) == -math.sin(0.4)


def test_nested_grad_does_not_confuse_a_closed_over_variable_with_its_argument():
    # d/dx [x * (d/dy x*y at y=x)] = d/dx x*x = 2x  (perturbation confusion would give 3x)
    assert grad(lambda x: x * grad(lambda y: x * y)(x))(3.0) == 6.0
    # the inner gradient is x, a Value the outer transform differentiates: d/dx x = 1
    assert grad(lambda x: grad(lambda y: x * y)(3.0))(2.0) == 1.0


def test_hessian_over_all_arguments_and_over_argnums():
    def f(x, y):
        return x * x * y + y.exp()

    h = hessian(f)(2.0, 1.0)
    assert h == ((2.0, 4.0), (4.0, math.exp(1.0)))
    assert all(type(entry) is float for row in h for entry in row)
    assert hessian(f, argnums=1)(2.0, 1.0) == ((math.exp(1.0),),)
    assert hessian(lambda x: x.sin())(0.3) == ((-math.sin(0.3),),)


def test_the_collector_is_paused_during_a_call_and_restored_after():
    seen = []

    def probe(x):
        seen.append(gc.isenabled())
        return x * 2.0

    assert gc.isenabled()
    grad(probe)(1.0)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        grad(lambda x: 1 // 0)(1.0)
    assert gc.isenabled()
    gc.disable()
    try:
        grad(probe)(1.0)
        assert not gc.isenabled()  # a collector the caller disabled stays disabled
    finally:
        gc.enable()


# --- bad input -----------------------------------------------------------------------------


def test_argnums_out_of_range_names_the_count():
    with pytest.raises(ValueError, match=r"argnums=2 is out of range.*1 positional argument"):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(ValueError, match="argnums=-3"):
        grad(f_xy, argnums=-3)(1.0, 2.0)


def test_argnums_of_the_wrong_type_or_repeated():
    with pytest.raises(TypeError, match="argnums"):
        grad(f_xy, argnums="0")
    with pytest.raises(TypeError, match="argnums"):
        grad(f_xy, argnums=True)
    with pytest.raises(TypeError, match="argnums"):
        grad(f_xy, argnums=())
    with pytest.raises(ValueError, match="same argument twice"):
        grad(f_xy, argnums=(0, -2))(1.0, 2.0)


@pytest.mark.parametrize("returned", [[1.0], "x", None, (1.0, 2.0), True])
def test_function_returning_a_non_number_is_a_type_error(returned):
    def bad(x):
        return returned

    expected = rf"bad must return a Value or a real number.*{type(returned).__name__}"
    with pytest.raises(TypeError, match=expected):
        grad(bad)(1.0)


@pytest.mark.parametrize("argument", ["1.0", [1.0], None, True])
def test_differentiated_argument_must_be_a_number(argument):
    with pytest.raises(
        TypeError, match=rf"argument 0 is differentiated.*{type(argument).__name__}"
    ):
        grad(lambda x: x)(argument)


def test_unknown_mode_lists_the_modes():
    with pytest.raises(ValueError, match=r"unknown mode 'jit'.*'eager'"):
        value_and_grad(f_xy, mode="jit")
    with pytest.raises(ValueError, match="unknown mode"):
        hessian(f_xy, mode="jit")
    assert "eager" in refgrad.MODES


def test_hessian_of_a_function_of_nothing():
    with pytest.raises(ValueError, match="at least one positional argument"):
        hessian(lambda: 1.0)()
