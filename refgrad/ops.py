"""The op table: the single source of truth for what every primitive means.

Each row (an :class:`Op`) holds

* ``forward``: the float64 function, with IEEE results where Python's ``math`` would raise
  (``1/0 -> inf``, ``log(0) -> -inf``, ``sqrt(-1) -> nan``, ``exp(1000) -> inf``);
* ``vjp``: one derivative rule per operand, *written in terms of ops*. A rule receives an
  op namespace ``F`` (one method per op, see :class:`OpNamespace`), the upstream gradient
  ``g``, the operands and the op's own output, and returns that operand's gradient
  contribution. Because it only combines ops through ``F``, the same rule computes floats
  (backward), builds eager Values (``create_graph=True``, hence higher order) and, later,
  emits graph nodes. For a scalar op the local linear map is its own transpose, so the
  same rules also give forward mode: ``tangent_out = sum(rule_i(F, t_i, ...))``.
* ``smooth``: a predicate saying where the op is differentiable with a finite derivative, which
  is where random sampling may draw points; ``domain`` says the same in words.
* ``kinks``: the points where it is not, with refgrad's convention at each (torch's, checked in
  ``tests/test_ops.py``).
* ``pure``, ``differentiable`` and how the op prints.

The rules follow PyTorch's ``derivatives.yaml`` formula by formula (same operations, same
order), so refgrad's eager gradients are bit-for-bit torch's where the formulas coincide.

Only this module names calculus; every mode of refgrad reads it.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

INF = math.inf
NAN = math.nan


# ---------------------------------------------------------------------------------------------
# IEEE float64 forward functions.
#
# Python's float operators already give IEEE results for +, -, * and unary -, so those rows use
# the C-level ``operator`` functions directly. Division, ``**`` and the ``math`` functions raise
# on poles, overflow and domain errors; the wrappers below return what C (and torch) return.
# ---------------------------------------------------------------------------------------------


def ieee_div(x: float, y: float) -> float:
    """``x / y`` with IEEE results at ``y = ±0``: ``±inf`` by the signs, ``0/0 -> nan``."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:  # nan / 0 and 0 / 0
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _is_odd_integer(y: float) -> bool:
    return float(y).is_integer() and math.fmod(y, 2.0) != 0.0


def ieee_pow(x: float, y: float) -> float:
    """C99 ``pow``: real results only (never complex), ``inf`` on overflow and at poles.

    ``math.pow`` already follows C99 for nan, inf and ``pow(x, 0) = 1``; it raises only for a
    negative base with a non-integer exponent (C: nan), for zero to a negative power (C: a pole,
    ``±inf``) and on overflow (C: ``±inf``).
    """
    try:
        return math.pow(x, y)
    except ValueError:
        if x == 0.0:  # pole: 0 ** negative
            sign = math.copysign(1.0, x) if _is_odd_integer(y) else 1.0
            return sign * INF
        return NAN  # negative base, non-integer exponent
    except OverflowError:
        negative = x < 0.0 and _is_odd_integer(y)
        return -INF if negative else INF


def ieee_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def ieee_log(x: float) -> float:
    if x > 0.0:  # also x = inf
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative, -inf, nan


def ieee_sqrt(x: float) -> float:
    # sqrt(-0.0) is -0.0 in IEEE and in math.sqrt; only true negatives are a domain error.
    return math.sqrt(x) if not x < 0.0 else NAN


def _nan_outside_finite(function: Callable[[float], float]) -> Callable[[float], float]:
    """sin and cos of ±inf are nan in IEEE; ``math`` raises ValueError instead."""

    def wrapped(x: float) -> float:
        return function(x) if math.isfinite(x) else NAN

    wrapped.__name__ = f"ieee_{function.__name__}"
    return wrapped


ieee_sin = _nan_outside_finite(math.sin)
ieee_cos = _nan_outside_finite(math.cos)


def ieee_sigmoid(x: float) -> float:
    # Torch's formula; exp(-x) overflowing to inf gives 1/inf = 0, as it should.
    return 1.0 / (1.0 + ieee_exp(-x))


def ieee_relu(x: float) -> float:
    # Torch's clamp_min: keeps -0.0 and nan as they are ("x < 0" is False for both).
    return 0.0 if x < 0.0 else x


def sign(x: float) -> float:
    # Torch's sign: sign(±0) = 0 and sign(nan) = 0.
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


def zero_where(condition: float, x: float) -> float:
    """0.0 where ``condition`` holds, else ``x``: a select, so an inf or nan ``x`` gives 0.0.

    Torch's rules use such selects (``where(cond, 0, grad)``) at kinks and special points.
    Conditions are floats from the comparison ops: 1.0 or 0.0, never nan.
    """
    return 0.0 if condition else x


def _comparison(predicate: Callable[[float, float], bool]) -> Callable[[float, float], float]:
    def compare(x: float, y: float) -> float:
        return 1.0 if predicate(x, y) else 0.0

    compare.__name__ = predicate.__name__
    return compare


# ---------------------------------------------------------------------------------------------
# The row type.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kink:
    """A point where an op is not differentiable, and the derivative refgrad reports there."""

    at: str
    convention: str


@dataclass(frozen=True, eq=False)  # ops are singletons: identity equality, fast hashing
class Op:
    name: str
    arity: int
    forward: Callable[..., float]
    # One rule per operand: rule(F, g, *operands, out) -> that operand's gradient contribution.
    vjp: tuple[Callable, ...] = ()
    smooth: Callable[..., bool] = lambda *operands: True
    domain: str = "all reals"
    kinks: tuple[Kink, ...] = ()
    pure: bool = True
    # Comparisons and sign are steps: their results are constants to autodiff (as in torch).
    differentiable: bool = True
    # Ops users write (Value methods and operators) vs. helpers only derivative rules use.
    public: bool = True
    # How the op prints: a format over operand texts, and its precedence for parenthesizing
    # (higher binds tighter; 100 means the form is atomic, like a call).
    syntax: str = ""
    precedence: int = 100
    # A Python expression over floats that computes `forward` exactly, where one exists (the
    # IEEE-safe operators); generated code inlines it instead of calling `forward` (an operand
    # written twice is computed once, into a variable).
    float_syntax: str | None = None
    # The same op over float64 NumPy arrays (and numbers), elementwise, as an expression over
    # ``np``; run under ``np.errstate(all="ignore")`` it gives ``forward``'s IEEE results (bit for
    # bit where NumPy calls the same libm function; see tests/test_codegen.py for the one op
    # where it does not). An operand written twice here is evaluated once by generated code.
    numpy_syntax: str | None = None
    # A C function that returns exactly what `forward` returns wherever it returns, and raises
    # (ArithmeticError or ValueError) where `forward` gives an IEEE special result instead
    # (a pole, an overflow, a domain error). Compiled code calls it, saving the Python-level
    # wrapper, and reruns with `forward` if anything raised (refgrad/codegen.py).
    fast_forward: Callable[..., float] | None = None

    def __repr__(self) -> str:
        return f"<op {self.name}>"


# ---------------------------------------------------------------------------------------------
# The table.
#
# In the rules: F is the op namespace, g the upstream gradient, x and y the operands and out the
# op's result. Comments name the torch formula each rule reproduces.
# ---------------------------------------------------------------------------------------------

_rows = (
    Op(
        "add",
        2,
        operator.add,
        vjp=(lambda F, g, x, y, out: g, lambda F, g, x, y, out: g),
        syntax="{0} + {1}",
        float_syntax="{0} + {1}",
        numpy_syntax="{0} + {1}",
        precedence=10,
    ),
    Op(
        "sub",
        2,
        operator.sub,
        vjp=(lambda F, g, x, y, out: g, lambda F, g, x, y, out: F.neg(g)),
        syntax="{0} - {1}",
        float_syntax="{0} - {1}",
        numpy_syntax="{0} - {1}",
        precedence=10,
    ),
    Op(
        "mul",
        2,
        operator.mul,
        vjp=(lambda F, g, x, y, out: F.mul(g, y), lambda F, g, x, y, out: F.mul(g, x)),
        syntax="{0} * {1}",
        float_syntax="{0} * {1}",
        numpy_syntax="{0} * {1}",
        precedence=20,
    ),
    Op(
        "div",
        2,
        ieee_div,
        # torch: grad / other;  -grad * ((self / other) / other), and self / other is out.
        vjp=(
            lambda F, g, x, y, out: F.div(g, y),
            lambda F, g, x, y, out: F.mul(F.neg(g), F.div(out, y)),
        ),
        smooth=lambda x, y: y != 0.0,
        domain="y != 0",
        kinks=(Kink("y = 0", "pole: x/±0 is ±inf (0/0 is nan); gradients are ±inf or nan"),),
        syntax="{0} / {1}",
        numpy_syntax="np.divide({0}, {1})",
        precedence=20,
        fast_forward=operator.truediv,  # ieee_div without its ZeroDivisionError handler
    ),
    Op(
        "neg",
        1,
        operator.neg,
        vjp=(lambda F, g, x, out: F.neg(g),),
        syntax="-{0}",
        float_syntax="-{0}",
        numpy_syntax="-{0}",
        precedence=30,
    ),
    Op(
        "pow",
        2,
        ieee_pow,
        # torch pow_backward_self:
        #   where(exponent == 0, 0, grad * (exponent * pow(self, exponent - 1)))
        # torch pow_backward_exponent:
        #   grad * where((self == 0) & (exponent >= 0), 0, result * log(self))
        vjp=(
            lambda F, g, x, y, out: F.zero_where(
                F.eq(y, 0.0), F.mul(g, F.mul(y, F.pow(x, F.sub(y, 1.0))))
            ),
            lambda F, g, x, y, out: F.mul(
                g, F.zero_where(F.mul(F.eq(x, 0.0), F.ge(y, 0.0)), F.mul(out, F.log(x)))
            ),
        ),
        smooth=lambda x, y: x > 0.0 or (float(y).is_integer() and (x != 0.0 or y >= 1.0)),
        domain=(
            "x > 0 for any exponent; x < 0 only with an integer exponent held constant "
            "(d/dy needs log x)"
        ),
        kinks=(
            Kink("y = 0", "d/dx x**0 = 0 for every x, even 0 (torch)"),
            Kink("x = 0, y >= 0", "d/dy 0**y = 0 (torch), not 0 * log(0) = nan"),
            Kink("x = 0, y < 1", "pole or cusp: 0**y is inf for y < 0; d/dx is ±inf"),
            Kink("x < 0, y not an integer", "nan (the real power is undefined; never complex)"),
        ),
        syntax="{0} ** {1}",
        numpy_syntax="np.power({0}, {1})",  # C pow: (-8) ** (1/3) is nan
        precedence=40,
        fast_forward=math.pow,  # ieee_pow without its handlers
    ),
    Op(
        "exp",
        1,
        ieee_exp,
        vjp=(lambda F, g, x, out: F.mul(g, out),),  # torch: grad * result
        syntax="{0}.exp()",
        numpy_syntax="np.exp({0})",
        fast_forward=math.exp,  # ieee_exp without its OverflowError handler
    ),
    Op(
        "log",
        1,
        ieee_log,
        vjp=(lambda F, g, x, out: F.div(g, x),),  # torch: grad / self
        smooth=lambda x: x > 0.0,
        domain="x > 0",
        kinks=(
            Kink("x = 0", "log(0) = -inf; derivative g/0 = ±inf"),
            Kink("x < 0", "log is nan; derivative g/x is finite (torch computes it the same)"),
        ),
        syntax="{0}.log()",
        numpy_syntax="np.log({0})",
    ),
    Op(
        "tanh",
        1,
        math.tanh,
        vjp=(lambda F, g, x, out: F.mul(g, F.sub(1.0, F.mul(out, out))),),  # torch tanh_backward
        syntax="{0}.tanh()",
        numpy_syntax="np.tanh({0})",  # NumPy's SIMD tanh: within 2 ulp of libm's
    ),
    Op(
        "sigmoid",
        1,
        ieee_sigmoid,
        # torch sigmoid_backward: grad * (1 - result) * result
        vjp=(lambda F, g, x, out: F.mul(F.mul(g, F.sub(1.0, out)), out),),
        syntax="{0}.sigmoid()",
        numpy_syntax="1.0 / (1.0 + np.exp(-{0}))",
    ),
    Op(
        "relu",
        1,
        ieee_relu,
        # torch threshold_backward(grad, result, 0): result <= 0 ? 0 : grad. A select, not a
        # product, so an inf or nan upstream gradient still gives 0 where relu is flat.
        vjp=(lambda F, g, x, out: F.zero_where(F.le(out, 0.0), g),),
        smooth=lambda x: x != 0.0,
        domain="x != 0",
        kinks=(Kink("x = 0", "relu'(0) = 0 (torch and jax)"),),
        syntax="{0}.relu()",
        float_syntax="(0.0 if {0} < 0.0 else {0})",  # ieee_relu, inline
        numpy_syntax="np.where({0} < 0.0, 0.0, {0})",  # not np.maximum: keeps -0.0
    ),
    Op(
        "sin",
        1,
        ieee_sin,
        vjp=(lambda F, g, x, out: F.mul(g, F.cos(x)),),  # torch: grad * cos(self)
        syntax="{0}.sin()",
        numpy_syntax="np.sin({0})",
    ),
    Op(
        "cos",
        1,
        ieee_cos,
        vjp=(lambda F, g, x, out: F.mul(g, F.neg(F.sin(x))),),  # torch: grad * -sin(self)
        syntax="{0}.cos()",
        numpy_syntax="np.cos({0})",
    ),
    Op(
        "sqrt",
        1,
        ieee_sqrt,
        vjp=(lambda F, g, x, out: F.div(g, F.mul(2.0, out)),),  # torch: grad / (2 * result)
        smooth=lambda x: x > 0.0,
        domain="x > 0",
        kinks=(
            Kink("x = 0", "sqrt'(0) = +inf (g / (2 * 0)); sqrt(-0.0) = -0.0 gives -inf"),
            Kink("x < 0", "sqrt is nan and so is its derivative"),
        ),
        syntax="{0}.sqrt()",
        numpy_syntax="np.sqrt({0})",
        fast_forward=math.sqrt,  # raises ValueError exactly where ieee_sqrt gives nan
    ),
    Op(
        "abs",
        1,
        abs,
        vjp=(lambda F, g, x, out: F.mul(g, F.sign(x)),),  # torch: grad * sgn(self)
        smooth=lambda x: x != 0.0,
        domain="x != 0",
        kinks=(Kink("x = 0", "abs'(0) = 0 (torch: sign(0) = 0)"),),
        syntax="{0}.abs()",
        numpy_syntax="np.abs({0})",
    ),
    # Helpers that derivative rules use; users do not write them.
    Op(
        "zero_where",
        2,
        zero_where,
        vjp=(
            None,  # the condition is a step function of its inputs: no gradient flows to it
            lambda F, g, c, a, out: F.zero_where(c, g),
        ),
        public=False,
        syntax="(0.0 if {0} else {1})",
        float_syntax="(0.0 if {0} else {1})",
        numpy_syntax="np.where({0} != 0.0, 0.0, {1})",  # nan is true, as in Python
        precedence=0,
    ),
    *(
        Op(
            name,
            2,
            _comparison(compare),
            differentiable=False,
            public=False,
            syntax=f"{{0}} {symbol} {{1}}",
            float_syntax=f"(1.0 if {{0}} {symbol} {{1}} else 0.0)",
            numpy_syntax=f"np.where({{0}} {symbol} {{1}}, 1.0, 0.0)",
            precedence=5,
        )
        for name, compare, symbol in (
            ("eq", operator.eq, "=="),
            ("le", operator.le, "<="),
            ("ge", operator.ge, ">="),
            # lt, gt and ne serve traced guards: `x > y` is not `not (x <= y)` when x is nan
            ("lt", operator.lt, "<"),
            ("gt", operator.gt, ">"),
            ("ne", operator.ne, "!="),
        )
    ),
    Op(
        "sign",
        1,
        sign,
        differentiable=False,
        public=False,
        syntax="sign({0})",
        # Not np.sign, which gives sign(nan) = nan (torch, and refgrad, give 0).
        numpy_syntax="np.where({0} > 0.0, 1.0, np.where({0} < 0.0, -1.0, 0.0))",
    ),
)

OPS: dict[str, Op] = {op.name: op for op in _rows}
"""Every op by name, in table order."""

PUBLIC_OPS: tuple[Op, ...] = tuple(op for op in _rows if op.public)
"""The ops users write: arithmetic operators and the Value methods."""

UNARY_METHODS: tuple[str, ...] = tuple(
    op.name for op in PUBLIC_OPS if op.arity == 1 and op.syntax.endswith("()")
)
"""Ops exposed as ``Value`` methods: relu, tanh, exp, log, sigmoid, sin, cos, sqrt, abs."""


class OpNamespace:
    """What derivative rules call: one attribute per op, each doing ``apply(op, *operands)``.

    The float namespace maps each op to its forward function; the Value namespace records
    the op on the eager graph; a graph builder would emit a node. Rules stay the same.
    """

    def __init__(self, apply: Callable[..., object]) -> None:
        for op in _rows:
            setattr(self, op.name, _bind(apply, op))


def _bind(apply: Callable[..., object], op: Op) -> Callable[..., object]:
    # A partial, not a closure: one Python call less for every node a rule makes.
    call = functools.partial(apply, op)
    call.__name__ = op.name
    return call


class _FloatNamespace:
    """Rules evaluated on floats: each op is its forward function (no dispatch in between)."""

    def __init__(self) -> None:
        for op in _rows:
            setattr(self, op.name, op.forward)


FLOATS = _FloatNamespace()
"""The op namespace over plain floats, used by first-order backward."""


def conventions_markdown() -> str:
    """The public ops as a Markdown table: domain and conventions (the README embeds this)."""
    lines = [
        "| op | written | smooth domain | kinks and singularities: refgrad's convention |",
        "|---|---|---|---|",
    ]
    for op in PUBLIC_OPS:
        written = op.syntax.format(*("x", "y")[: op.arity])
        kinks = "; ".join(f"at {kink.at}: {kink.convention}" for kink in op.kinks) or "none"
        lines.append(f"| {op.name} | `{written}` | {op.domain} | {kinks} |")
    return "\n".join(lines)
