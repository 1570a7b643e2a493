"""refgrad's ops against PyTorch (float64, CPU): values and derivatives.

The derivative rules in ``refgrad/ops.py`` reproduce torch's ``derivatives.yaml`` formula by
formula, so on the same inputs refgrad and torch give the same floats, bit for bit, except
where torch's kernels round differently from Python's ``math`` (see ``ROUNDING_DIFFERS``
below). Every case builds the refgrad side through the public surface (``Value`` operators and
methods) and the torch side from the same Python function on 0-dim float64 tensors.

Four groups of checks:

* interior points (where ``op.smooth`` holds): value and derivative w.r.t. every operand;
* the IEEE special-value table: forward values, never a Python exception;
* derivatives at the same special points, inf, nan and signed zeros included;
* the conventions at kinks (relu'(0), abs'(0), sqrt'(0), pow at 0).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from fractions import Fraction

import pytest

from refgrad import Value
from refgrad.ops import OPS, PUBLIC_OPS
from tests.floats import same_float

torch = pytest.importorskip("torch")

INF = math.inf
NAN = math.nan

# ---------------------------------------------------------------------------------------------
# The ops, as Python functions that work on both a Value and a torch tensor.
# ---------------------------------------------------------------------------------------------

UNARY: dict[str, Callable] = {
    "neg": operator.neg,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "sqrt": lambda x: x.sqrt(),
    "abs": lambda x: x.abs(),
}
BINARY: dict[str, Callable] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}

# Ops whose torch float64 CPU kernel is not glibc's libm (which Python's math calls): in this
# build torch evaluates them with MKL's vector math, even for a 0-dim tensor. Found by running,
# not assumed: over thousands of random points in 1e-3 .. 1e3 they differ from math by at most
# 1 ulp (2 ulps in sqrt's derivative g / (2*out)), tanh in ~18% of points, exp, sin, cos and
# sqrt in well under 1%, log about once in 10**5; neither side is always the correctly rounded
# one. Derivatives that use those kernels inherit the difference (exp' is out, sin' is cos,
# cos' is -sin, sqrt' is g / (2*out)); log' = g/x uses no log and stays exact. tanh's
# derivative needs a different measure, see `assert_tanh_derivative_close`. Everything else is
# compared bit for bit.
ROUNDING_DIFFERS = frozenset({"exp", "log", "sin", "cos", "sqrt", "tanh"})
DERIVATIVE_ROUNDING_DIFFERS = frozenset({"exp", "sin", "cos", "sqrt"})
ULPS = 2

# Inputs where torch and math were seen to round differently, with who is correctly rounded
# (checked with mpmath). The regular points below happen to agree bit for bit for all of these
# ops but tanh, so these keep the tolerance honest.
ROUNDING_WITNESSES = {
    "exp": (160.14704940997774,),  # math 3.556148202008714e+69 (exact), torch ...713e+69
    "log": (0.09244917241420246,),  # math -2.38109627290132, torch -2.3810962729013205 (exact)
    "sin": (0.0020742807120396408,),  # math 0.00207427922455927 (exact), torch ...2705
    "cos": (711.9487444163749,),  # math -0.3690701863447827, torch -0.36907018634478267 (exact)
    # torch.sqrt is not correctly rounded (IEEE 754 requires it to be): math 6.181629693727849
    # (exact), torch 6.18162969372785.
    "sqrt": (38.21254567037787,),
}

# torch's Tensor ** Python-number kernel takes shortcuts instead of calling pow() for these
# exponents: x*x*x for 3, sqrt (MKL) for 0.5, 1/sqrt for -0.5, 1/x for -1 and 1/(x*x) for -2.
# They round differently from C pow (up to 1 ulp). x ** y's derivative y * x ** (y - 1) takes
# the same shortcut when y - 1 is one of them (y = 4, 1.5, 0.5, ...). (x*x for 2 is correctly
# rounded and matched pow everywhere we looked, so 2 stays exact.)
TORCH_POW_SHORTCUTS = frozenset({3.0, 0.5, -0.5, -1.0, -2.0})


def test_every_public_op_is_covered():
    assert set(UNARY) | set(BINARY) == {op.name for op in PUBLIC_OPS}
    assert all(OPS[name].arity == 1 for name in UNARY)
    assert all(OPS[name].arity == 2 for name in BINARY)


# ---------------------------------------------------------------------------------------------
# Running a function on both engines, and comparing floats.
# ---------------------------------------------------------------------------------------------


def refgrad_value_and_grads(f: Callable, *xs: float) -> tuple[float, list[float]]:
    """f's value and d f / d x_i for every argument, through ``Value.backward()``."""
    leaves = [Value(x) for x in xs]
    try:
        out = f(*leaves)
        out.backward()
    except Exception as error:  # an IEEE result is expected, never a Python exception
        pytest.fail(f"refgrad raised {error!r} on {xs!r}")
    return out.data, [leaf.grad for leaf in leaves]


def torch_value_and_grads(f: Callable, *xs: float) -> tuple[float, list[float]]:
    """The same with float64 tensors and ``torch.autograd.grad``."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*leaves)
    grads = torch.autograd.grad(out, leaves)
    return out.item(), [g.item() for g in grads]


def refgrad_value(f: Callable, *xs: float) -> float:
    try:
        return f(*(Value(x) for x in xs)).data
    except Exception as error:
        pytest.fail(f"refgrad raised {error!r} on {xs!r}")


def torch_value(f: Callable, *xs: float) -> float:
    return f(*(torch.tensor(x, dtype=torch.float64) for x in xs)).item()


def assert_same(ours: float, theirs: float, what: str) -> None:
    assert type(ours) is float, f"{what}: refgrad gave {type(ours).__name__} {ours!r}"
    assert same_float(ours, theirs), f"{what}: refgrad {ours!r}, torch {theirs!r}"


def ulps_apart(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def assert_within_ulps(ours: float, theirs: float, what: str, ulps: int = ULPS) -> None:
    """For ROUNDING_DIFFERS only: equal up to ``ulps`` units in the last place."""
    assert type(ours) is float, f"{what}: refgrad gave {type(ours).__name__} {ours!r}"
    if same_float(ours, theirs):
        return
    assert math.isfinite(ours) and math.isfinite(theirs), f"{what}: {ours!r} vs {theirs!r}"
    assert ulps_apart(ours, theirs) <= ulps, (
        f"{what}: refgrad {ours!r}, torch {theirs!r}: "
        f"{ulps_apart(ours, theirs):g} ulps apart (allowed {ulps})"
    )


def assert_tanh_derivative_close(ours: float, theirs: float, what: str) -> None:
    """tanh' = 1 - out*out, a cancellation, so its error is in ulps of 1.0, not of the result.

    torch's compiled tanh_backward evaluates the same formula, but in this build GCC fuses
    ``1 - b*b`` into one fused multiply-add (one rounding where refgrad has two), and torch's
    tanh itself can differ by an ulp. Near |x| = 10 that moves the result by ~1e7 of its own
    ulps, while in absolute terms it stayed within 1.125 * 2**-52 over 5000 random points in
    [-20, 20]; 4 * 2**-52 is allowed. ``test_tanh_derivative_is_torchs_formula`` pins the cause
    down exactly.
    """
    assert math.isclose(ours, theirs, rel_tol=0.0, abs_tol=4 * math.ulp(1.0)), (
        f"{what}: refgrad {ours!r}, torch {theirs!r}"
    )


def case_id(value: float) -> str:
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Interior points: value and every derivative, against torch.
# ---------------------------------------------------------------------------------------------

MAGNITUDES = (1e-3, 0.01, 0.1, 0.5, 0.7, 1.0, 1.5, 2.5, 3.0, 7.3, 10.0, 17.5, 123.456, 700.0, 1e3)
SIGNED_POINTS = tuple(sign * m for m in MAGNITUDES for sign in (1.0, -1.0))
BINARY_POINTS = (-123.456, -7.3, -2.0, -1.0, -0.5, -1e-3, 1e-3, 0.3, 1.0, 2.5, 10.0, 1e3)


def finite_forward(op_name: str, *xs: float) -> bool:
    return math.isfinite(OPS[op_name].forward(*xs))


UNARY_INTERIOR = [
    pytest.param(name, x, id=f"{name}({x!r})")
    for name in UNARY
    for x in SIGNED_POINTS + ROUNDING_WITNESSES.get(name, ())
    if OPS[name].smooth(x) and finite_forward(name, x)
]


@pytest.mark.parametrize(("name", "x"), UNARY_INTERIOR)
def test_unary_op_interior(name, x):
    f = UNARY[name]
    (ours, (our_grad,)) = refgrad_value_and_grads(f, x)
    (theirs, (their_grad,)) = torch_value_and_grads(f, x)
    check_value = assert_within_ulps if name in ROUNDING_DIFFERS else assert_same
    check_value(ours, theirs, f"{name}({x!r})")
    if name == "tanh":
        assert_tanh_derivative_close(our_grad, their_grad, f"tanh'({x!r})")
    elif name in DERIVATIVE_ROUNDING_DIFFERS:
        assert_within_ulps(our_grad, their_grad, f"{name}'({x!r})")
    else:
        assert_same(our_grad, their_grad, f"{name}'({x!r})")


BINARY_INTERIOR = [
    pytest.param(name, x, y, id=f"{name}({x!r}, {y!r})")
    for name in BINARY
    for x in BINARY_POINTS
    for y in BINARY_POINTS
    if OPS[name].smooth(x, y) and finite_forward(name, x, y)
]


@pytest.mark.parametrize(("name", "x", "y"), BINARY_INTERIOR)
def test_binary_op_interior(name, x, y):
    """Value <op> Value: the value and the derivative w.r.t. both operands, bit for bit.

    pow's d/dy is out * log(x) with torch's log kernel, so at a base where torch's log and
    math.log round differently (see ROUNDING_WITNESSES) it would be 1 ulp apart; at these
    points the two logs agree.
    """
    f = BINARY[name]
    ours, (our_dx, our_dy) = refgrad_value_and_grads(f, x, y)
    theirs, (their_dx, their_dy) = torch_value_and_grads(f, x, y)
    assert_same(ours, theirs, f"{name}({x!r}, {y!r})")
    assert_same(our_dx, their_dx, f"d/dx {name}({x!r}, {y!r})")
    assert_same(our_dy, their_dy, f"d/dy {name}({x!r}, {y!r})")


POW_EXPONENTS = (0, 1, 2, -3, 2.7, 1 / 3, 0.25, -1.5, 10.0, 0.5, -0.5, 1.5, 3.0, 4.0, -1.0, -2.0)
POW_BASES = (1e-3, 0.1, 0.7, 1.0, 2.5, 7.3, 123.456, -0.5, -2.0, -7.3)

VALUE_POW_NUMBER_INTERIOR = [
    pytest.param(x, e, id=f"Value({x!r}) ** {e!r}")
    for e in POW_EXPONENTS
    for x in POW_BASES
    if OPS["pow"].smooth(x, e) and finite_forward("pow", x, e)
]


@pytest.mark.parametrize(("x", "e"), VALUE_POW_NUMBER_INTERIOR)
def test_pow_value_to_number_interior(x, e):
    """Value ** number: torch's pow.Tensor_Scalar, including its shortcut exponents."""
    ours, (our_grad,) = refgrad_value_and_grads(lambda v: v**e, x)
    theirs, (their_grad,) = torch_value_and_grads(lambda v: v**e, x)
    check_value = assert_within_ulps if e in TORCH_POW_SHORTCUTS else assert_same
    check_grad = assert_within_ulps if e - 1 in TORCH_POW_SHORTCUTS else assert_same
    check_value(ours, theirs, f"{x!r} ** {e!r}")
    check_grad(our_grad, their_grad, f"d/dx {x!r} ** {e!r}")


NUMBER_POW_VALUE_INTERIOR = [
    pytest.param(b, y, id=f"{b!r} ** Value({y!r})")
    for b in (2.0, 0.5, 10.0, math.e, 1e-3, 123.456, 1.0, -2.0, -0.5)
    for y in (-7.3, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.3, 1.0, 2.5, 3.0, 10.0)
    if OPS["pow"].smooth(b, y) and finite_forward("pow", b, y)
]


@pytest.mark.parametrize(("b", "y"), NUMBER_POW_VALUE_INTERIOR)
def test_pow_number_to_value_interior(b, y):
    """number ** Value: torch's pow.Scalar and its exponent-only backward."""
    ours, (our_grad,) = refgrad_value_and_grads(lambda v: b**v, y)
    theirs, (their_grad,) = torch_value_and_grads(lambda v: b**v, y)
    assert_same(ours, theirs, f"{b!r} ** {y!r}")
    assert_same(our_grad, their_grad, f"d/dy {b!r} ** {y!r}")


@pytest.mark.parametrize("x", [x for x in SIGNED_POINTS if x > 0], ids=case_id)
def test_tanh_derivative_is_torchs_formula(x):
    """torch's tanh' is refgrad's g * (1 - out*out) on torch's own tanh, rounded once or twice.

    Twice (as refgrad, and as the formula reads) without FMA; once where the compiler fused
    ``1 - b*b`` into a fused multiply-add (torch's AVX2 kernels on this machine). So the two
    engines share the formula and differ only in rounding.
    """
    theirs, (their_grad,) = torch_value_and_grads(UNARY["tanh"], x)
    rounded_twice = 1.0 * (1.0 - theirs * theirs)
    rounded_once = float(1 - Fraction(theirs) ** 2)
    assert their_grad in (rounded_twice, rounded_once), (
        f"tanh'({x!r}): torch {their_grad!r}, formula {rounded_twice!r} / fused {rounded_once!r}"
    )
    ours, (our_grad,) = refgrad_value_and_grads(UNARY["tanh"], x)
    assert our_grad == 1.0 * (1.0 - ours * ours)


# ---------------------------------------------------------------------------------------------
# The IEEE special-value table: forward values.
# ---------------------------------------------------------------------------------------------

SPECIALS = (0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 1e308, -1e308, 5e-324, 1000.0, -1000.0)

UNARY_SPECIAL = [pytest.param(name, x, id=f"{name}({x!r})") for name in UNARY for x in SPECIALS]
BINARY_SPECIAL = [
    pytest.param(name, x, y, id=f"{name}({x!r}, {y!r})")
    for name in BINARY
    for x in SPECIALS
    for y in SPECIALS
]
# pow's other two forms go through other torch kernels (pow.Tensor_Scalar and pow.Scalar).
MIXED_POW_SPECIAL = [
    pytest.param(form, x, y, id=f"{form}({x!r}, {y!r})")
    for form in ("Value**number", "number**Value")
    for x in SPECIALS
    for y in SPECIALS
]


def mixed_pow(form: str, x: float, y: float) -> tuple[Callable, float]:
    """The one-argument function for ``x ** y`` in ``form``, and the argument it takes."""
    if form == "Value**number":
        return (lambda v: v**y), x
    return (lambda v: x**v), y


@pytest.mark.parametrize(("name", "x"), UNARY_SPECIAL)
def test_unary_op_special_value(name, x):
    f = UNARY[name]
    assert_same(refgrad_value(f, x), torch_value(f, x), f"{name}({x!r})")


@pytest.mark.parametrize(("name", "x", "y"), BINARY_SPECIAL)
def test_binary_op_special_value(name, x, y):
    f = BINARY[name]
    assert_same(refgrad_value(f, x, y), torch_value(f, x, y), f"{name}({x!r}, {y!r})")


@pytest.mark.parametrize(("form", "x", "y"), MIXED_POW_SPECIAL)
def test_mixed_pow_special_value(form, x, y):
    f, argument = mixed_pow(form, x, y)
    assert_same(refgrad_value(f, argument), torch_value(f, argument), f"{form}: {x!r} ** {y!r}")


NAMED_SPECIALS = [
    pytest.param(lambda one, zero: one / zero, (1.0, 0.0), INF, id="1/Value(0.0) -> inf"),
    pytest.param(lambda x: x.log(), (0.0,), -INF, id="Value(0.0).log() -> -inf"),
    pytest.param(lambda x: x.log(), (-1.0,), NAN, id="Value(-1.0).log() -> nan"),
    pytest.param(lambda x: x.sqrt(), (-1.0,), NAN, id="Value(-1.0).sqrt() -> nan"),
    pytest.param(lambda x: x.exp(), (1000.0,), INF, id="Value(1000.0).exp() -> inf"),
    pytest.param(lambda x: x ** (1 / 3), (-8.0,), NAN, id="Value(-8.0) ** (1/3) -> nan"),
    pytest.param(lambda x: x**-1, (0.0,), INF, id="Value(0.0) ** -1 -> inf"),
]


@pytest.mark.parametrize(("f", "args", "expected"), NAMED_SPECIALS)
def test_named_special_value(f, args, expected):
    """The IEEE results the op table promises where Python's math would raise."""
    if len(args) == 2:  # 1 / Value(0.0): a plain number on the left
        ours = f(args[0], Value(args[1])).data
        theirs = f(args[0], torch.tensor(args[1], dtype=torch.float64)).item()
    else:
        ours, theirs = refgrad_value(f, *args), torch_value(f, *args)
    assert type(ours) is float, f"expected a float, got {type(ours).__name__} {ours!r}"
    assert same_float(ours, expected), f"refgrad gave {ours!r}, expected {expected!r}"
    assert same_float(theirs, expected), f"torch gave {theirs!r}, expected {expected!r}"


# ---------------------------------------------------------------------------------------------
# Derivatives at the special points.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "x"), UNARY_SPECIAL)
def test_unary_op_special_derivative(name, x):
    f = UNARY[name]
    _, (ours,) = refgrad_value_and_grads(f, x)
    _, (theirs,) = torch_value_and_grads(f, x)
    assert_same(ours, theirs, f"{name}'({x!r})")


@pytest.mark.parametrize(("name", "x", "y"), BINARY_SPECIAL)
def test_binary_op_special_derivatives(name, x, y):
    f = BINARY[name]
    _, (our_dx, our_dy) = refgrad_value_and_grads(f, x, y)
    _, (their_dx, their_dy) = torch_value_and_grads(f, x, y)
    assert_same(our_dx, their_dx, f"d/dx {name}({x!r}, {y!r})")
    assert_same(our_dy, their_dy, f"d/dy {name}({x!r}, {y!r})")


@pytest.mark.parametrize(("form", "x", "y"), MIXED_POW_SPECIAL)
def test_mixed_pow_special_derivative(form, x, y):
    f, argument = mixed_pow(form, x, y)
    _, (ours,) = refgrad_value_and_grads(f, argument)
    _, (theirs,) = torch_value_and_grads(f, argument)
    assert_same(ours, theirs, f"{form}: derivative of {x!r} ** {y!r}")


# Value ** number at torch's shortcut exponents (see TORCH_POW_SHORTCUTS). There torch computes
# sqrt(x) for x ** 0.5 and 1/sqrt(x) for x ** -0.5, which disagree with C99 pow at -0.0 and
# -inf; refgrad follows C99 (Annex F.9.4.4), as does torch's own Tensor ** Tensor.
SHORTCUT_EXPONENTS = (0.5, -0.5, 1.5, 2.0, 3.0, 4.0, -1.0, -2.0)
# Keyed by repr: -0.0 == 0.0, so the floats themselves would collide.
TORCH_NOT_C99 = {
    ("value", "-0.0", 0.5): "torch: sqrt(-0.0) = -0.0; C99 pow(-0, 0.5) = +0 (refgrad)",
    ("value", "-inf", 0.5): "torch: sqrt(-inf) = nan; C99 pow(-inf, 0.5) = +inf (refgrad)",
    ("value", "-0.0", -0.5): "torch: 1/sqrt(-0.0) = -inf; C99 pow(-0, -0.5) = +inf (refgrad)",
    ("value", "-inf", -0.5): "torch: 1/sqrt(-inf) = nan; C99 pow(-inf, -0.5) = +0 (refgrad)",
    ("grad", "-0.0", 0.5): "torch: 0.5 * (1/sqrt(-0.0)) = -inf; C99: 0.5 * pow(-0, -0.5) = +inf",
    ("grad", "-inf", 0.5): "torch: 0.5 * (1/sqrt(-inf)) = nan; C99: 0.5 * pow(-inf, -0.5) = 0",
    ("grad", "-0.0", 1.5): "torch: 1.5 * sqrt(-0.0) = -0.0; C99: 1.5 * pow(-0, 0.5) = +0",
    ("grad", "-inf", 1.5): "torch: 1.5 * sqrt(-inf) = nan; C99: 1.5 * pow(-inf, 0.5) = +inf",
}


def shortcut_cases(kind: str) -> list:
    cases = []
    for e in SHORTCUT_EXPONENTS:
        for x in SPECIALS:
            reason = TORCH_NOT_C99.get((kind, repr(x), e))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(x, e, marks=marks, id=f"Value({x!r}) ** {e!r}"))
    return cases


@pytest.mark.parametrize(("x", "e"), shortcut_cases("value"))
def test_pow_shortcut_exponent_special_value(x, e):
    f = lambda v: v**e
    assert_same(refgrad_value(f, x), torch_value(f, x), f"{x!r} ** {e!r}")


@pytest.mark.parametrize(("x", "e"), shortcut_cases("grad"))
def test_pow_shortcut_exponent_special_derivative(x, e):
    f = lambda v: v**e
    _, (ours,) = refgrad_value_and_grads(f, x)
    _, (theirs,) = torch_value_and_grads(f, x)
    assert_same(ours, theirs, f"d/dx {x!r} ** {e!r}")


@pytest.mark.parametrize(
    ("x", "e", "c99", "c99_derivative"),
    [
        pytest.param(-0.0, 0.5, 0.0, INF, id="(-0.0) ** 0.5 = +0"),
        pytest.param(-INF, 0.5, INF, 0.0, id="(-inf) ** 0.5 = +inf"),
        pytest.param(-0.0, -0.5, INF, -INF, id="(-0.0) ** -0.5 = +inf"),
        pytest.param(-INF, -0.5, 0.0, -0.0, id="(-inf) ** -0.5 = +0"),
        pytest.param(-0.0, 1.5, 0.0, 0.0, id="(-0.0) ** 1.5 = +0"),
        pytest.param(-INF, 1.5, INF, INF, id="(-inf) ** 1.5 = +inf"),
    ],
)
def test_pow_follows_c99_where_torch_shortcuts_do_not(x, e, c99, c99_derivative):
    """Where the xfails above differ, refgrad gives C99's pow, and so does torch's Tensor**Tensor.

    C99 F.9.4.4: pow(±0, y) = +0 for y > 0 not an odd integer, +inf for y < 0 not an odd
    integer; pow(-inf, y) = +inf for y > 0 not an odd integer, +0 for y < 0 not an odd integer.
    """
    ours, (our_grad,) = refgrad_value_and_grads(lambda v: v**e, x)
    assert same_float(ours, c99), f"refgrad {x!r} ** {e!r} = {ours!r}, C99 says {c99!r}"
    assert same_float(our_grad, c99_derivative), f"refgrad d/dx = {our_grad!r}"
    exponent = torch.tensor(e, dtype=torch.float64)
    theirs, (their_grad,) = torch_value_and_grads(lambda v: v**exponent, x)
    assert same_float(theirs, c99), f"torch Tensor ** Tensor gave {theirs!r}"
    assert same_float(their_grad, c99_derivative), f"torch Tensor ** Tensor d/dx = {their_grad!r}"


# ---------------------------------------------------------------------------------------------
# Kink conventions (the `kinks` of the op table), each against torch.
# ---------------------------------------------------------------------------------------------


def assert_derivative(f: Callable, x: float, expected: float, what: str) -> None:
    _, (ours,) = refgrad_value_and_grads(f, x)
    _, (theirs,) = torch_value_and_grads(f, x)
    assert same_float(ours, expected), f"{what}: refgrad {ours!r}, expected {expected!r}"
    assert same_float(theirs, expected), f"{what}: torch {theirs!r}, expected {expected!r}"


@pytest.mark.parametrize("zero", [0.0, -0.0], ids=case_id)
def test_relu_derivative_at_zero_is_zero(zero):
    assert_derivative(UNARY["relu"], zero, 0.0, f"relu'({zero!r})")


@pytest.mark.parametrize("zero", [0.0, -0.0], ids=case_id)
def test_abs_derivative_at_zero_is_zero(zero):
    assert_derivative(UNARY["abs"], zero, 0.0, f"abs'({zero!r})")


def test_sqrt_derivative_at_zero_is_inf():
    assert_derivative(UNARY["sqrt"], 0.0, INF, "sqrt'(0.0)")
    # sqrt(-0.0) is -0.0, so g / (2 * out) is -inf (the op table's kink note says so).
    assert_derivative(UNARY["sqrt"], -0.0, -INF, "sqrt'(-0.0)")


@pytest.mark.parametrize("zero_exponent", [0, 0.0], ids=["int 0", "float 0.0"])
def test_d_dx_of_x_to_the_zero_at_zero_is_zero(zero_exponent):
    assert_derivative(lambda x: x**zero_exponent, 0.0, 0.0, f"d/dx x**{zero_exponent!r} at 0")
    # The same through Value ** Value, where the exponent also gets a gradient.
    _, (our_dx, _) = refgrad_value_and_grads(operator.pow, 0.0, 0.0)
    _, (their_dx, _) = torch_value_and_grads(operator.pow, 0.0, 0.0)
    assert same_float(our_dx, 0.0), f"d/dx Value(0.0) ** Value(0.0): refgrad {our_dx!r}"
    assert same_float(their_dx, 0.0), f"d/dx Value(0.0) ** Value(0.0): torch {their_dx!r}"


@pytest.mark.parametrize("y", [0.0, 0.5, 1.0, 2.0, 3.0, 1000.0, INF], ids=case_id)
@pytest.mark.parametrize("base", [0.0, -0.0], ids=lambda b: f"base {b!r}")
def test_d_dy_of_zero_to_the_y_is_zero_for_y_at_least_zero(base, y):
    """d/dy 0**y = 0 for y >= 0 (torch's select), not 0**y * log(0) = 0 * -inf = nan."""
    assert_derivative(lambda v: base**v, y, 0.0, f"d/dy {base!r} ** y at y = {y!r}")
    _, (_, our_dy) = refgrad_value_and_grads(operator.pow, base, y)
    _, (_, their_dy) = torch_value_and_grads(operator.pow, base, y)
    assert same_float(our_dy, 0.0), f"d/dy Value({base!r}) ** Value({y!r}): refgrad {our_dy!r}"
    assert same_float(their_dy, 0.0), f"d/dy Value({base!r}) ** Value({y!r}): torch {their_dy!r}"
