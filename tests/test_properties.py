"""Property tests on random straight-line programs (see programs.py).

Independent evidence: gradients are compared with PyTorch's autograd (float64) and with
central finite differences, never only with refgrad itself. Internal consistency (first-order
floats vs create_graph Values vs the functional API vs repeated backward) is checked bit for bit.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refgrad
from refgrad import Value
from tests.programs import is_finite_and_moderate, points, programs

torch = pytest.importorskip("torch")


@st.composite
def cases(draw):
    program = draw(programs())
    point = draw(points(program.n_inputs))
    return program, point


def refgrad_value_and_gradients(program, point):
    leaves = [Value(x) for x in point]
    out = program.run(leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def torch_value_and_gradients(program, point):
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = program.run(leaves)
    if not out.requires_grad:  # the program ignores its inputs
        return out.item(), [0.0] * len(leaves)
    gradients = torch.autograd.grad(out, leaves, allow_unused=True)
    return out.item(), [0.0 if g is None else g.item() for g in gradients]


def usable(value, gradients):
    return is_finite_and_moderate(value) and all(map(is_finite_and_moderate, gradients))


@given(cases())
def test_values_and_gradients_agree_with_torch(case):
    program, point = case
    value, gradients = refgrad_value_and_gradients(program, point)
    assume(usable(value, gradients))
    torch_value, torch_gradients = torch_value_and_gradients(program, point)
    # Same formulas, but torch's vectorised kernels (tanh, exp, sin...) may round the last bit
    # differently and it sums fan-out in its own order: agree to near machine precision.
    assert value == pytest.approx(torch_value, rel=1e-12, abs=1e-12), str(program)
    for got, expected in zip(gradients, torch_gradients, strict=True):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), str(program)


def evaluate_at(program, point, index, shift):
    moved = list(point)
    moved[index] += shift
    return program.run([Value(x) for x in moved]).data


@given(cases())
def test_gradients_agree_with_central_finite_differences(case):
    program, point = case
    value, gradients = refgrad_value_and_gradients(program, point)
    assume(usable(value, gradients))
    for index, gradient in enumerate(gradients):
        step = 1e-6 * max(1.0, abs(point[index]))
        upper = evaluate_at(program, point, index, step)
        lower = evaluate_at(program, point, index, -step)
        # Near a kink (relu, abs) or in a steep region the one-sided slopes disagree and a
        # difference quotient means nothing: only smooth neighbourhoods are judged.
        left, right = (value - lower) / step, (upper - value) / step
        assume(math.isclose(left, right, rel_tol=1e-3, abs_tol=1e-5))
        estimate = (upper - lower) / (2 * step)
        assert gradient == pytest.approx(estimate, rel=1e-4, abs=1e-5), str(program)


@given(cases())
def test_first_order_equals_create_graph_bit_for_bit(case):
    program, point = case
    plain = [Value(x) for x in point]
    program.run(plain).backward()
    recorded = [Value(x) for x in point]
    program.run(recorded).backward(create_graph=True)
    for a, b in zip(plain, recorded, strict=True):
        b_grad = b.grad.data if isinstance(b.grad, Value) else b.grad
        assert (math.isnan(a.grad) and math.isnan(b_grad)) or a.grad == b_grad, str(program)


@given(cases())
def test_functional_api_equals_value_backward_bit_for_bit(case):
    program, point = case
    value, gradients = refgrad_value_and_gradients(program, point)
    argnums = tuple(range(len(point)))
    api_value, api_gradients = refgrad.value_and_grad(lambda *xs: program.run(xs), argnums=argnums)(
        *point
    )
    same = [
        a == b or (math.isnan(a) and math.isnan(b))
        for a, b in zip([value, *gradients], [api_value, *api_gradients], strict=True)
    ]
    assert all(same), str(program)


@given(cases())
def test_a_second_backward_doubles_every_gradient_exactly(case):
    program, point = case
    leaves = [Value(x) for x in point]
    out = program.run(leaves)
    out.backward()
    first = [leaf.grad for leaf in leaves]
    out.backward()
    for leaf, once in zip(leaves, first, strict=True):
        assert leaf.grad == 2 * once or (math.isnan(once) and math.isnan(leaf.grad))


@given(cases())
def test_hessian_agrees_with_torch(case):
    program, point = case
    value, gradients = refgrad_value_and_gradients(program, point)
    assume(usable(value, gradients))
    hessian = refgrad.hessian(lambda *xs: program.run(xs))(*point)
    assume(all(is_finite_and_moderate(entry) for row in hessian for entry in row))
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    expected = torch.autograd.functional.hessian(lambda *xs: program.run(xs), inputs)
    for i, row in enumerate(hessian):
        for j, entry in enumerate(row):
            assert entry == pytest.approx(expected[i][j].item(), rel=1e-8, abs=1e-8), str(program)
