"""A program at one point, in exact arithmetic: values, local slopes, gradient, error bounds.

Everything here is computed in mpmath at :data:`DIGITS` significant digits (more where values
are large, see :func:`working_digits`) from the forward semantics of :mod:`oracle.ops` alone;
no derivative rule is written anywhere. Local partial derivatives of each step are central
differences at a step of 1e-15 (relative below 1; their error is below 1e-25 relative), and
second partials come from the same function values.

From these, :func:`analyze` derives what a *correct* float64 engine may get wrong, as a
first-order error bound per quantity (the tolerance policy in :mod:`oracle.compare` is built on
it; see :data:`ROUNDING` for the assumptions):

* forward: each step's float64 value carries the rounding of its own op plus the propagated
  errors of its operands, ``E_k = rounding_k * u * |v_k| + sum_j |p_kj| * E_j``;
* local slopes: an engine evaluates each local partial at *rounded* operands, or from the
  rounded output (``tanh' = 1 - y*y``), with a few roundings of its own:
  ``P_kj = 8u|p_kj| + sum_m |d p_kj / d x_m| E_m + |f''/f'| (E_k + u|v_k|)`` (the last term
  for single-operand steps);
* reverse sweep: each adjoint ``g_j = sum_k g_k p_kj`` inherits the errors of its terms and of
  the products and sums that form it,
  ``G_j = sum_k (|p_kj| G_k + |g_k| P_kj + u|g_k p_kj|) + (m_j - 1) u sum_k |g_k p_kj|``.

A case is *ill-conditioned* where the first-order picture cannot be trusted: an operand of a
kinked or singular op (relu, abs, sqrt, log, division, pow) within a hundredth of its size of
the kink, or a local slope that the forward errors move by more than 1%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath

from oracle.ops import OPS, Undefined
from oracle.program import Const, Program

DIGITS = 50  # significant digits beyond the largest value's integer part (see working_digits)
STEP = mpmath.mpf("1e-15")  # difference step: relative to |x|, capped at 1e-15 absolute
RESOLVED = mpmath.mpf("1e-25")  # the relative accuracy asked of every derivative
MOST_DIGITS = 2000
ZERO_DIGITS = 800  # how far a zero derivative is chased before it is believed
UNIT_ROUNDOFF = 2.0**-53

# Rounding error of each op's float64 forward, in units of u = 2**-53 relative to the result.
# Correctly rounded ops cost 1; exact ones 0; libm functions are allowed 2 (glibc and SLEEF stay
# within an ulp); tanh and pow 4 (vectorized kernels such as MKL's are looser); sigmoid is
# composed of exp, an add and a division.
ROUNDING = {
    "add": 1,
    "sub": 1,
    "mul": 1,
    "div": 1,
    "sqrt": 1,
    "neg": 0,
    "abs": 0,
    "relu": 0,
    "exp": 2,
    "log": 2,
    "sin": 2,
    "cos": 2,
    "tanh": 4,
    "pow": 4,
    "sigmoid": 6,
}
# Rounding allowed in evaluating one local partial derivative (a formula of a few ops).
SLOPE_ROUNDING = 8
# Ops whose kink, pole or domain edge sits where the (first) operand is zero.
KINKED_AT_ZERO = frozenset(name for name, spec in OPS.items() if 0.0 in spec.special_points)
NEAR_KINK_RELATIVE = 1e-2
SLOPE_CHANGE_RELATIVE = 1e-2
EXACT_ZERO = mpmath.mpf(0)


class NotApplicable(ValueError):
    """Exact analysis does not apply: a non-finite input, or an undefined exact value."""


@dataclass(frozen=True)
class Slopes:
    """Local partial derivatives of one step with respect to its value operands."""

    operands: tuple[int, ...]  # value indices (constants excluded), in operand order
    first: tuple[mpmath.mpf, ...]
    second: tuple[tuple[mpmath.mpf, ...], ...]  # second partials, operand x operand
    via_output: mpmath.mpf  # |f''/f'| for single-operand steps, else 0
    unresolved: bool = False  # a slope that stays 0 at every precision tried, yet should not


@dataclass(frozen=True)
class Analysis:
    values: tuple[mpmath.mpf, ...]
    gradient: tuple[mpmath.mpf, ...]  # by the chain rule over numeric local slopes
    value_bound: float  # bound on |float64 value - exact value| for a correct engine
    gradient_bound: tuple[float, ...]
    ill_conditioned: str | None  # why the first-order bound cannot be trusted, if so
    # Every value's adjoint (d output / d value) and its bound, inputs first: the gradients an
    # engine keeps on interior nodes, which the stateful family (oracle.stateful) checks.
    adjoints: tuple[mpmath.mpf, ...] = ()
    adjoint_bounds: tuple[float, ...] = ()

    @property
    def value(self) -> mpmath.mpf:
        return self.values[-1]

    @property
    def bounds(self) -> list[float]:
        """The bounds per quantity, in the order value, d/dx0, d/dx1, ..."""
        return [self.value_bound, *self.gradient_bound]


def to_exact(point: Sequence[float]) -> list[mpmath.mpf]:
    for x in point:
        if not math.isfinite(x):
            raise NotApplicable(f"input {x!r} is not finite")
    return [mpmath.mpf(x) for x in point]


EXACT_CALLS = {name: spec.exact for name, spec in OPS.items()}


def exact_values(program: Program, point: Sequence[mpmath.mpf]) -> list[mpmath.mpf]:
    """Every value of ``program`` at ``point`` in exact arithmetic (call within workdps)."""
    try:
        return program.evaluate(point, EXACT_CALLS)
    except Undefined as error:
        raise NotApplicable(f"the exact value is undefined: {error}") from error
    except OverflowError as error:  # exp(exp(1e308)): an exponent mpmath cannot hold
        raise NotApplicable(f"an exact value is too large for mpmath: {error}") from error


def working_digits(values: Sequence[mpmath.mpf]) -> int:
    """Digits that keep :data:`DIGITS` significant ones below 1 for the largest value.

    A step of 1e-15 next to a value of 1e30 needs 45 digits just to exist, and ``cos(1e30)``
    turns on that scale; so precision grows with the magnitudes a program reaches.
    """
    largest = max((abs(v) for v in values), default=mpmath.mpf(1))
    return DIGITS + (int(mpmath.log10(largest)) + 1 if largest > 1 else 0)


def values_at_working_precision(program: Program, point: Sequence[float]):
    """The exact values, computed at the precision they call for, and that precision."""
    with mpmath.workdps(DIGITS):
        exact = to_exact(point)
        values = exact_values(program, exact)
    digits = working_digits(values)
    if digits > MOST_DIGITS:
        # exp(2e308) has about 1e308 digits before the point: far past float64, and beyond
        # any precision mpmath can work at in the time of a case.
        raise NotApplicable(f"an exact value is too large: it needs over {MOST_DIGITS} digits")
    if digits > DIGITS:
        with mpmath.workdps(digits):
            values = exact_values(program, exact)
    return exact, values, digits


def step_size(x: mpmath.mpf) -> mpmath.mpf:
    """The difference step at ``x``: it never crosses zero, where every kink of the ops sits,
    and never exceeds 1e-15, where periodic functions of large arguments turn."""
    return STEP * min(abs(x), 1) if x != 0 else STEP


def more_digits(digits: int, rounding, estimate) -> int | None:
    """The precision at which rounding stops hiding ``estimate``; None when ``digits`` do.

    A derivative estimated from function values exact to ``10**-digits`` carries a rounding
    error ``rounding``; it is resolved when that is below :data:`RESOLVED` of the estimate. An
    estimate of exactly zero may be a derivative lost in rounding (``tanh`` at -600 has a slope
    of 1e-521): its digits double up to :data:`ZERO_DIGITS`.
    """
    if rounding <= RESOLVED * abs(estimate) or digits >= MOST_DIGITS:
        return None
    if estimate == 0:
        return 2 * digits if digits < ZERO_DIGITS else None
    missing = int(mpmath.log10(rounding / (RESOLVED * abs(estimate)))) + 5
    return min(MOST_DIGITS, digits + missing)


def central_difference(function, x: mpmath.mpf, digits: int):
    """First and second derivative of ``function`` at ``x``, at the digits that resolve them.

    See :func:`step_size` for the step and :func:`more_digits` for the precision.
    """
    while True:
        with mpmath.workdps(digits):
            step = step_size(x)
            middle, above, below = function(x), function(x + step), function(x - step)
            first = (above - below) / (2 * step)
            second = (above - 2 * middle + below) / (step * step)
            largest = max(abs(middle), abs(above), abs(below))
            rounding = mpmath.mpf(10) ** -digits * largest / step
        digits = more_digits(digits, rounding, first)
        if digits is None:
            return first, second


def step_slopes(program: Program, position: int, values, digits: int) -> Slopes:
    step = program.steps[position]
    spec = OPS[step.op]
    arguments = [o.value if isinstance(o, Const) else values[o] for o in step.operands]
    slots = [i for i, o in enumerate(step.operands) if not isinstance(o, Const)]

    def along(slot):
        def function(x):
            moved = list(arguments)
            moved[slot] = x
            return spec.exact(*moved)

        return function

    try:
        firsts, seconds = [], []
        for slot in slots:
            first, second = central_difference(along(slot), arguments[slot], digits)
            firsts.append(first)
            seconds.append(second)
        hessian = [[EXACT_ZERO] * len(slots) for _ in slots]
        for i in range(len(slots)):
            hessian[i][i] = seconds[i]
        if len(slots) == 2:
            hessian[0][1] = hessian[1][0] = _mixed_partial(spec.exact, arguments)
    except Undefined as error:
        raise NotApplicable(f"step v{program.n_inputs + position} is at a singularity") from error
    via_output = EXACT_ZERO
    if len(slots) == 1 and firsts[0] != 0:
        via_output = abs(seconds[0] / firsts[0])
    unresolved = len(slots) == 1 and firsts[0] == 0 and not _slope_may_vanish(step)
    return Slopes(
        tuple(step.operands[s] for s in slots),
        tuple(firsts),
        tuple(tuple(row) for row in hessian),
        via_output,
        unresolved,
    )


# Ops made of linear pieces: their slopes are exact (0, ±1 or an operand), never lost in
# rounding. (A property of the forward functions, used only to tell a true zero slope from an
# underflow.)
PIECEWISE_LINEAR = frozenset({"add", "sub", "neg", "relu", "abs", "mul", "div"})


def _slope_may_vanish(step) -> bool:
    """Is a zero slope exact here (``relu`` of a negative, ``x ** 0``), not an underflow?"""
    if step.op in PIECEWISE_LINEAR:
        return True
    return step.op == "pow" and step.operands[1].value == 0.0


def _mixed_partial(function, arguments) -> mpmath.mpf:
    a, b = arguments
    h, k = step_size(a), step_size(b)
    corners = function(a + h, b + k) - function(a + h, b - k)
    corners -= function(a - h, b + k) - function(a - h, b - k)
    return corners / (4 * h * k)


def analyze(program: Program, point: Sequence[float]) -> Analysis:
    """Exact values, chain-rule gradient and error bounds of ``program`` at ``point``.

    Raises :class:`NotApplicable` at non-finite inputs or undefined exact values.
    """
    _, values, digits = values_at_working_precision(program, point)
    with mpmath.workdps(digits):
        slopes = [step_slopes(program, k, values, digits) for k in range(len(program.steps))]
        forward = _forward_bounds(program, values, slopes)
        local = [_slope_bounds(program, k, values, slopes[k], forward) for k in range(len(slopes))]
        adjoints, adjoint_bounds = _reverse_bounds(program, slopes, local)
        reason = _ill_conditioning(program, values, slopes, forward)
    n = program.n_inputs
    if not all(math.isfinite(b) for b in (forward[-1], *adjoint_bounds[:n])):
        reason = reason or "the error bound overflows the float64 range"
    return Analysis(
        values=tuple(values),
        gradient=tuple(adjoints[:n]),
        value_bound=forward[-1],
        gradient_bound=tuple(adjoint_bounds[:n]),
        ill_conditioned=reason,
        adjoints=tuple(adjoints),
        adjoint_bounds=tuple(adjoint_bounds),
    )


def _forward_bounds(program, values, slopes) -> list[float]:
    u = UNIT_ROUNDOFF
    bounds = [0.0] * program.n_inputs  # inputs are exact float64 numbers
    for position, step in enumerate(program.steps):
        index = program.n_inputs + position
        bound = ROUNDING[step.op] * u * float(abs(values[index]))
        local = slopes[position]
        for operand, slope in zip(local.operands, local.first, strict=True):
            bound += float(abs(slope)) * bounds[operand]
        bounds.append(bound)
    return bounds


def _slope_bounds(program, position, values, local: Slopes, forward) -> list[float]:
    """Bound on the error of each local partial as a float64 engine evaluates it."""
    u = UNIT_ROUNDOFF
    index = program.n_inputs + position
    bounds = []
    for i, slope in enumerate(local.first):
        bound = SLOPE_ROUNDING * u * float(abs(slope))
        for m, operand in enumerate(local.operands):
            bound += float(abs(local.second[i][m])) * forward[operand]
        bound += float(local.via_output) * (forward[index] + u * float(abs(values[index])))
        bounds.append(bound)
    return bounds


def _reverse_bounds(program, slopes, local_bounds):
    u = UNIT_ROUNDOFF
    adjoints = [EXACT_ZERO] * program.n_values
    adjoints[-1] = mpmath.mpf(1)
    bounds = [0.0] * program.n_values
    magnitude = [0.0] * program.n_values  # sum of |terms| accumulated into each adjoint
    terms = [0] * program.n_values
    for position in range(len(program.steps) - 1, -1, -1):
        index = program.n_inputs + position
        # The adjoint of `index` is complete: charge the rounding of its own sum first.
        bounds[index] += max(terms[index] - 1, 0) * u * magnitude[index]
        adjoint, adjoint_bound = adjoints[index], bounds[index]
        local = slopes[position]
        for operand, slope, slope_bound in zip(
            local.operands, local.first, local_bounds[position], strict=True
        ):
            term = abs(float(adjoint * slope))
            adjoints[operand] += adjoint * slope
            bounds[operand] += (
                float(abs(slope)) * adjoint_bound + float(abs(adjoint)) * slope_bound + u * term
            )
            magnitude[operand] += term
            terms[operand] += 1
    for index in range(program.n_inputs):
        bounds[index] += max(terms[index] - 1, 0) * u * magnitude[index]
    return adjoints, bounds


# How the analysis words the doubt of an operand within rounding error of a kink (raised at a
# kink itself too, where the operand is exactly zero); oracle.compare recognises it by this.
KINK_DOUBT = "within rounding error of its kink"


def kinked_operand(step) -> int | None:
    """The value operand that sits at the op's kink or pole when it is zero, if any."""
    if step.op not in KINKED_AT_ZERO:
        return None
    operand = step.operands[1] if step.op == "div" else step.operands[0]
    return operand if isinstance(operand, int) else None


def _ill_conditioning(program, values, slopes, forward) -> str | None:
    for position, step in enumerate(program.steps):
        index = program.n_inputs + position
        operand = kinked_operand(step)
        if operand is not None and forward[operand] >= NEAR_KINK_RELATIVE * float(
            abs(values[operand])
        ):
            return f"v{index} = {step.op}(...) has an operand {KINK_DOUBT}"
        local = slopes[position]
        if local.unresolved:
            return f"the local slope of v{index} underflows even at {ZERO_DIGITS} digits"
        for i, slope in enumerate(local.first):
            moved = sum(
                float(abs(local.second[i][m])) * forward[operand]
                for m, operand in enumerate(local.operands)
            )
            if slope != 0 and moved > SLOPE_CHANGE_RELATIVE * float(abs(slope)):
                return f"the local slope of v{index} moves by over 1% within rounding error"
    return None
