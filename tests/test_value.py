"""Eager mode: the Value engine, micrograd compatibility, and the cases micrograd gets wrong."""

from __future__ import annotations

import gc
import math
import random

import pytest

import refgrad
from refgrad import Value, no_grad


def micrograd_readme_example():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_example_prints_the_published_numbers():
    a, b, g = micrograd_readme_example()
    assert f"{g.data:.4f}" == "24.7041"
    g.backward()
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_micrograd_sanity_check_from_its_test_suite():
    # micrograd's test_engine.py::test_sanity_check, with the torch numbers it checks against
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_micrograd_nn_trains_unchanged_on_refgrad(monkeypatch):
    """micrograd's own nn.py (MLP, zero_grad, p.grad = 0, sum of Values) runs on refgrad."""
    nn = pytest.importorskip("micrograd.nn")
    losses = {}
    for engine_name, engine in (("micrograd", nn.Value), ("refgrad", Value)):
        monkeypatch.setattr(nn, "Value", engine)
        random.seed(1337)
        model = nn.MLP(3, [4, 4, 1])
        xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        ys = [1.0, -1.0, -1.0, 1.0]
        history = []
        for _ in range(5):
            predictions = [model(x) for x in xs]
            loss = sum((p - y) ** 2 for p, y in zip(predictions, ys, strict=True))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data += -0.01 * p.grad
            history.append(loss.data)
        losses[engine_name] = history
    assert losses["refgrad"] == pytest.approx(losses["micrograd"], rel=1e-12)
    assert losses["refgrad"][-1] < losses["refgrad"][0]


def test_draw_dot_attributes_look_like_micrograds():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == {a, b}
    assert c._op == "*"
    assert (a + b)._op == "+"
    assert c.relu()._op == "ReLU"
    assert a._op == "" and a._prev == set()
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


# --- the cases micrograd gets wrong ----------------------------------------------------------


def test_repeated_backward_accumulates_like_torch_without_stale_interior_gradients():
    a, b = Value(3.0), Value(2.0)
    d = (a * b) ** 2
    d.backward()
    assert a.grad == 24.0
    d.backward()
    assert a.grad == 48.0  # micrograd gives 72: it reuses the interior gradient of a*b
    assert b.grad == 2 * 36.0


def test_fan_out_counts_every_path():
    a = Value(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_self_operand():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    y = Value(2.0)
    (y**y).backward()  # d/dy y**y = y**y * (log y + 1)
    assert y.grad == pytest.approx(4.0 * (math.log(2.0) + 1.0), rel=1e-15)


def test_a_chain_a_million_deep_backpropagates():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert y.data == 0.5
    assert x.grad == 1.0
    del y
    gc.collect()  # freeing a million-deep chain must not overflow the C stack either


def test_backward_from_an_interior_node_only_reaches_its_ancestors():
    a, b = Value(2.0), Value(5.0)
    c = a * b
    d = c + a
    c.backward()
    assert (a.grad, b.grad) == (5.0, 2.0)
    assert d.grad == 0.0


def test_order_and_results_are_deterministic():
    def gradients():
        random.seed(7)
        xs = [Value(random.uniform(-1, 1)) for _ in range(5)]
        out = xs[0]
        for i in range(200):
            out = out * xs[i % 5] + xs[(i * 3) % 5].tanh()
        out.backward()
        return [x.grad for x in xs]

    assert gradients() == gradients()


def test_signed_zero_gradient_keeps_its_sign():
    x = Value(3.0)
    (x * -0.0).backward()
    assert x.grad == 0.0 and math.copysign(1.0, x.grad) == -1.0


def test_zero_grad_clears_the_whole_graph():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    d.backward()
    d.zero_grad()
    assert (a.grad, b.grad, c.grad, d.grad) == (0.0, 0.0, 0.0, 0.0)
    d.backward()
    assert a.grad == 4.0


def test_no_grad_records_nothing_and_restores_the_mode():
    x = Value(2.0)
    with no_grad():
        assert not refgrad.is_grad_enabled()
        y = x * 3.0
    assert refgrad.is_grad_enabled()
    assert not y.requires_grad and y.operands == ()
    y.backward()  # a constant: nothing to propagate
    assert x.grad == 0.0
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert refgrad.is_grad_enabled()


def test_constants_do_not_receive_gradients_and_leaves_do():
    x = Value(2.0)
    y = 2.0 ** (x * 3.0)
    y.backward()
    assert x.is_leaf and x.requires_grad
    assert not y.is_leaf and y.op.name == "pow"
    base, exponent = y.operands
    assert not base.requires_grad and base.grad == 0.0
    assert exponent.grad == pytest.approx(64.0 * math.log(2.0), rel=1e-15)


# --- higher order ------------------------------------------------------------------------


def test_create_graph_gives_gradients_that_are_values():
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and first.data == 12.0
    x.grad = 0.0
    first.backward()
    assert x.grad == 12.0  # d2/dx2 x**3 = 6x


def test_third_derivative_through_repeated_create_graph():
    x = Value(0.7)
    y = x.sin() * x
    y.backward(create_graph=True)
    d1 = x.grad
    x.grad = 0.0
    d1.backward(create_graph=True)
    d2 = x.grad
    x.grad = 0.0
    d2.backward()
    # d3/dx3 (x sin x) = -3 sin x - x cos x
    assert x.grad == pytest.approx(-3 * math.sin(0.7) - 0.7 * math.cos(0.7), rel=1e-14)


def test_first_order_values_equal_create_graph_values_bit_for_bit():
    for build in (lambda x: (x * x).tanh() / (x + 3.0), lambda x: x.sigmoid() ** x):
        x1, x2 = Value(0.3), Value(0.3)
        build(x1).backward()
        build(x2).backward(create_graph=True)
        assert x1.grad == x2.grad.data


# --- conversions and comparisons -------------------------------------------------------------


def test_comparisons_and_conversions_read_the_data():
    x = Value(2.0)
    assert x > 1 and x >= 2.0 and x < Value(3.0) and x <= 2
    assert float(x) == 2.0
    assert bool(Value(0.0)) is False and bool(Value(-0.0)) is False
    assert bool(Value(math.nan)) is True
    assert Value(3).data == 3.0 and type(Value(3).data) is float


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("operand", ["a", [1.0], None, 1 + 2j, {"x": 1}])
@pytest.mark.parametrize("operation", ["+", "-", "*", "/", "**"])
def test_bad_operands_raise_type_error_naming_the_culprit(operand, operation):
    names = {"x": Value(1.0), "operand": operand}
    with pytest.raises(TypeError, match=type(operand).__name__):
        eval(f"x {operation} operand", names)
    with pytest.raises(TypeError, match=type(operand).__name__):
        eval(f"operand {operation} x", names)


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match="str"):
        Value("1.0")
    with pytest.raises(TypeError, match="got a Value"):
        Value(Value(1.0))
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)
    with pytest.raises(TypeError, match="modulo"):
        pow(Value(2.0), 3, 5)
