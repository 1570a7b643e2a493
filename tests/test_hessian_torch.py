"""Second derivatives against PyTorch (float64, CPU).

``refgrad.hessian(f)(*args)`` against ``torch.autograd.functional.hessian`` on functions of one
to three scalars, and ``refgrad.grad(refgrad.grad(f))`` against torch's double backward. Each
function is written once and run on Values and on 0-dim tensors alike. Second-order paths may
sum their terms in a different order from torch's, so entries are compared with
``math.isclose(rel_tol=1e-12, abs_tol=1e-12)`` rather than bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import refgrad

torch = pytest.importorskip("torch")

REL_TOL = ABS_TOL = 1e-12


def tensors(*xs: float) -> tuple:
    return tuple(torch.tensor(x, dtype=torch.float64) for x in xs)


def torch_hessian(f: Callable, *xs: float) -> tuple[tuple[float, ...], ...]:
    rows = torch.autograd.functional.hessian(f, tensors(*xs))
    return tuple(tuple(entry.item() for entry in row) for row in rows)


def assert_matrices_close(ours, theirs, what: str) -> None:
    assert len(ours) == len(theirs), f"{what}: {len(ours)} rows, torch has {len(theirs)}"
    for i, (our_row, their_row) in enumerate(zip(ours, theirs, strict=True)):
        assert len(our_row) == len(their_row), f"{what}: row {i} has {len(our_row)} entries"
        for j, (a, b) in enumerate(zip(our_row, their_row, strict=True)):
            assert type(a) is float, f"{what}: H[{i}][{j}] is a {type(a).__name__}, not a float"
            assert math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
                f"{what}: H[{i}][{j}] refgrad {a!r}, torch {b!r}\nrefgrad {ours}\ntorch   {theirs}"
            )


# ---------------------------------------------------------------------------------------------
# Hessians.
# ---------------------------------------------------------------------------------------------


def fan_out(x, y):
    b = x * y  # b feeds three ops: the Hessian sums several second-order paths through it
    return b * b + b.sin()


def three_args(x, y, z):
    return (x * y * z).cos() + (x / z).sqrt() - (y * z).sigmoid() * x


def with_constants(x, y, z):
    # (No abs here: torch's double backward of abs imports torch._dynamo, ~2 s on first use.)
    return x**3 + 2.0**y - z**0.5 + 1.0 / (x * z) - (0.5 - y).relu() * x


HESSIAN_CASES = [
    ("x*y + y.sin()", lambda x, y: x * y + y.sin(), [(1.5, -0.7), (0.0, 2.0), (-3.0, 10.0)]),
    (
        "(x*x*y).tanh() + (y/x).exp()",
        lambda x, y: (x * x * y).tanh() + (y / x).exp(),
        [(0.8, 0.3), (-1.2, 0.5), (2.0, -1.5)],
    ),
    ("x**y, x > 0", lambda x, y: x**y, [(2.0, 3.0), (0.5, -1.5), (7.3, 0.25)]),
    (
        "(x.sigmoid()*y).log(), y > 0",
        lambda x, y: (x.sigmoid() * y).log(),
        [(0.3, 2.0), (-2.5, 0.1), (4.0, 17.0)],
    ),
    ("b = x*y; b*b + b.sin()", fan_out, [(0.9, -1.1), (3.0, 0.5)]),
    ("x.exp() * x.sin()", lambda x: x.exp() * x.sin(), [(0.0,), (1.3,), (-2.0,)]),
    ("(x*y*z).cos() + (x/z).sqrt() - (y*z).sigmoid()*x", three_args, [(1.0, 2.0, 0.5)]),
    ("x**3 + 2**y - z**0.5 + 1/(x*z) - relu(0.5 - y)*x", with_constants, [(1.1, -0.4, 2.5)]),
    ("(x - y).relu() * (x + y).tanh()", lambda x, y: (x - y).relu() * (x + y).tanh(), [(2.0, 1.0)]),
]


@pytest.mark.parametrize("mode", ["eager", "static", "compiled"])
@pytest.mark.parametrize(
    ("f", "args"),
    [
        pytest.param(f, args, id=f"{name} at {args}")
        for name, f, points in HESSIAN_CASES
        for args in points
    ],
)
def test_hessian_matches_torch(f, args, mode):
    ours = refgrad.hessian(f, mode=mode)(*args)
    assert isinstance(ours, tuple) and all(isinstance(row, tuple) for row in ours), (
        f"hessian should return a tuple of tuples, got {ours!r}"
    )
    assert_matrices_close(ours, torch_hessian(f, *args), f"Hessian at {args}")


def test_hessian_is_symmetric_where_torch_is():
    """The two row orders reach the mixed entry by different paths; both agree with torch."""
    args = (0.8, 0.3, 1.7)
    ours = refgrad.hessian(three_args)(*args)
    for i in range(3):
        for j in range(i):
            assert math.isclose(ours[i][j], ours[j][i], rel_tol=REL_TOL, abs_tol=ABS_TOL), (
                f"H[{i}][{j}] = {ours[i][j]!r} but H[{j}][{i}] = {ours[j][i]!r}"
            )
    assert_matrices_close(ours, torch_hessian(three_args, *args), f"Hessian at {args}")


# ---------------------------------------------------------------------------------------------
# grad(grad(f)) against torch's double backward.
# ---------------------------------------------------------------------------------------------


def torch_second_derivative(f: Callable, x: float) -> float:
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
    (second,) = torch.autograd.grad(first, leaf)
    return second.item()


SECOND_DERIVATIVE_CASES = [
    ("x.tanh()", lambda x: x.tanh(), (-1.5, 0.2, 3.0)),
    ("x.sigmoid() * x", lambda x: x.sigmoid() * x, (-4.0, 0.0, 2.5)),
    ("(x*x).sin()", lambda x: (x * x).sin(), (-0.7, 1.0, 10.0)),
    ("x.sqrt().log()", lambda x: x.sqrt().log(), (1e-3, 0.5, 123.456)),
    ("x**3 / (1 + x*x)", lambda x: x**3 / (1 + x * x), (-2.0, 0.1, 7.3)),
    ("(x.cos() - x).exp()", lambda x: (x.cos() - x).exp(), (-1.0, 0.0, 2.0)),
]


@pytest.mark.parametrize(
    ("f", "x"),
    [
        pytest.param(f, x, id=f"{name} at {x!r}")
        for name, f, points in SECOND_DERIVATIVE_CASES
        for x in points
    ],
)
def test_grad_of_grad_matches_torch_double_backward(f, x):
    ours = refgrad.grad(refgrad.grad(f))(x)
    theirs = torch_second_derivative(f, x)
    assert type(ours) is float, f"grad(grad(f)) returned {type(ours).__name__} {ours!r}"
    assert math.isclose(ours, theirs, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
        f"f''({x!r}): refgrad {ours!r}, torch {theirs!r}"
    )
    # A one-argument Hessian is the same number.
    ((entry,),) = refgrad.hessian(f)(x)
    assert math.isclose(entry, theirs, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
        f"hessian(f)({x!r}) = (({entry!r},),), torch f'' = {theirs!r}"
    )
