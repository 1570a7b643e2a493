"""The oracle's own table of operations: what each op of a test program means.

This table is deliberately independent of refgrad's (``refgrad/ops.py``): the oracle must never
use refgrad to judge refgrad. It holds no derivative rules at all. For every op it gives

* ``float64``: the IEEE float64 forward over NumPy arrays of points (NumPy's ufuncs already
  return inf and nan where Python's ``math`` raises), used by finite differences and by the
  strategies to see where a program's values go;
* ``exact``: the real function in mpmath at any precision, used by the high-precision ground
  truth; it raises :class:`Undefined` outside the op's real domain (poles, negative logs);
* ``smooth``: a vectorized predicate saying where the op is differentiable with finite
  derivatives (strictly inside its domain, off its kinks), used by the ``smooth`` family;
* ``special_points``: operand values where the op has a kink, a pole or a domain edge, which
  the ``edge`` family aims at;
* how the op prints as Python a person would write (``(v1 * v1).tanh()``), which is also how
  value-protocol engines run it.

A program step applies an op to earlier values and, for binary ops, possibly one constant.
``pow`` takes a value base and a constant exponent (``x ** 3.0``), the form every
micrograd-style engine supports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np


class Undefined(ArithmeticError):
    """The exact (real) result does not exist: a pole, or an argument outside the domain."""


@dataclass(frozen=True)
class OpSpec:
    name: str
    arity: int
    float64: Callable[..., np.ndarray]
    exact: Callable[..., mpmath.mpf]
    smooth: Callable[..., np.ndarray]
    special_points: tuple[float, ...] = ()  # operand values (first operand) worth aiming at
    # Printing: binary ops are infix with a Python operator; unary ops are a method call, a
    # prefix operator or a builtin call.
    infix: str | None = None
    method: str | None = None
    prefix: str | None = None
    builtin: str | None = None
    # Ops a value-protocol engine must have for the oracle to test it at all.
    required: bool = False

    def __repr__(self) -> str:
        return f"<oracle op {self.name}>"


# --- exact functions: raise Undefined where the real function has no value ---------------------


def _exact_div(a, b):
    if b == 0:
        raise Undefined("division by zero")
    return a / b


def _exact_pow(a, c):
    if a == 0 and c < 0:
        raise Undefined("zero to a negative power")
    if a < 0 and not mpmath.isint(c):
        raise Undefined("negative base with a non-integer exponent")
    return mpmath.power(a, c)


def _exact_log(a):
    if a <= 0:
        raise Undefined("log of a non-positive number")
    return mpmath.log(a)


def _exact_sqrt(a):
    if a < 0:
        raise Undefined("sqrt of a negative number")
    return mpmath.sqrt(a)


def _exact_sigmoid(a):
    return 1 / (1 + mpmath.exp(-a))


def _exact_relu(a):
    return a if a > 0 else mpmath.mpf(0)


# --- float64 forward over arrays (callers run it under np.errstate(all="ignore")) ------------


def _float_relu(a):
    # Torch's semantics: negative -> 0, and nan stays nan ("nan < 0" is False).
    return np.where(a < 0.0, 0.0, a)


def _float_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# --- smooth domains (vectorized; operands are float64 arrays) -----------------------------------


def _everywhere(*operands):
    return np.ones(np.shape(operands[0]), dtype=bool)


def _nonzero(a, *rest):
    return a != 0.0


def _positive(a, *rest):
    return a > 0.0


def _nonzero_divisor(a, b):
    return b != 0.0


def _pow_smooth(a, c):
    # Smooth at every nonzero base for integer exponents; for fractional ones only at a > 0.
    # A zero base is a kink or a pole (except for exponents 0, 1 and >= 2, kept simple here).
    integer = np.equal(np.mod(c, 1.0), 0.0)
    return np.where(integer, a != 0.0, a > 0.0)


OPS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("add", 2, np.add, lambda a, b: a + b, _everywhere, infix="+", required=True),
        OpSpec("sub", 2, np.subtract, lambda a, b: a - b, _everywhere, infix="-", required=True),
        OpSpec("mul", 2, np.multiply, lambda a, b: a * b, _everywhere, infix="*", required=True),
        OpSpec("div", 2, np.divide, _exact_div, _nonzero_divisor, (0.0,), infix="/"),
        OpSpec("pow", 2, np.power, _exact_pow, _pow_smooth, (0.0,), infix="**"),
        OpSpec("neg", 1, np.negative, lambda a: -a, _everywhere, prefix="-"),
        OpSpec("relu", 1, _float_relu, _exact_relu, _nonzero, (0.0,), method="relu"),
        OpSpec("tanh", 1, np.tanh, mpmath.tanh, _everywhere, method="tanh"),
        OpSpec("exp", 1, np.exp, mpmath.exp, _everywhere, method="exp"),
        OpSpec("log", 1, np.log, _exact_log, _positive, (0.0,), method="log"),
        OpSpec("sigmoid", 1, _float_sigmoid, _exact_sigmoid, _everywhere, method="sigmoid"),
        OpSpec("sin", 1, np.sin, mpmath.sin, _everywhere, method="sin"),
        OpSpec("cos", 1, np.cos, mpmath.cos, _everywhere, method="cos"),
        OpSpec("sqrt", 1, np.sqrt, _exact_sqrt, _positive, (0.0,), method="sqrt"),
        OpSpec("abs", 1, np.abs, abs, _nonzero, (0.0,), builtin="abs"),
    )
}

BINARY_OPS = tuple(name for name, spec in OPS.items() if spec.arity == 2)
UNARY_OPS = tuple(name for name, spec in OPS.items() if spec.arity == 1)

# Exponents drawn for ``x ** c``: small integers (smooth at any nonzero base), halves and a
# few others, as people write them.
POW_EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5, 4.0, -0.5, 2.5, 1.0, 0.0, -3.0)


def _call(spec: OpSpec) -> Callable:
    """How a program applies ``spec`` to engine values (duck typing: Values, tensors...)."""
    if spec.infix is not None:
        return {
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
            "/": lambda a, b: a / b,
            "**": lambda a, b: a**b,
        }[spec.infix]
    if spec.prefix == "-":
        return lambda a: -a
    if spec.builtin == "abs":
        return abs
    method = spec.method
    return lambda a: getattr(a, method)()


# Op name -> function applying it through Python operators and methods, as the printed program
# does. This is how value-protocol engines and torch tensors run a program.
PYTHON_CALLS: dict[str, Callable] = {name: _call(spec) for name, spec in OPS.items()}
