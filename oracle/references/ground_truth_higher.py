"""The high-precision ground truth for forward mode and second derivatives.

As for the gradient (:mod:`oracle.references.ground_truth`), only the exact forward semantics
of :mod:`oracle.ops` are used, evaluated in mpmath; no derivative rule and no chain rule:

* **directional derivative** ``J v``: a central difference of ``t -> f(x + t v)`` at ``t = 0``,
  Richardson-extrapolated, with the step chosen so that no coordinate moves by more than its
  own gradient step (1e-15, relative below 1; see :func:`oracle.exact.step_size`), and
  precision raised until rounding is below 1e-25 of the result (:func:`oracle.exact.more_digits`);
* **Hessian**: second central differences of the whole program, ``(f(x + h e_i) - 2 f(x) +
  f(x - h e_i)) / h**2`` on the diagonal and the four-corner difference off it, at steps
  ``h`` and ``h/2``, Richardson-extrapolated (the truncation error goes from ``h**2``, about
  1e-30 relative, to ``h**4``). A second difference at a step of 1e-15 loses 30 digits to
  rounding, so it starts 40 digits beyond the gradient's precision and grows until each
  entry's rounding is below 1e-25 of the larger of itself and a thousandth of the largest
  entry (the scale the tolerance policy judges at, see :mod:`oracle.higher_order`).
  Each entry's reported error is the extrapolation's movement plus that rounding.

Points where an intermediate sits exactly on a kink, or where the exact value is undefined,
have no ground truth here: the outcome is a failure saying so (one-sided second derivatives
are the edge family's business, not this one's).
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from oracle.exact import (
    MOST_DIGITS,
    RESOLVED,
    NotApplicable,
    exact_values,
    kinked_operand,
    more_digits,
    step_size,
    values_at_working_precision,
)
from oracle.higher_outcomes import HessianOutcome, JvpOutcome
from oracle.program import Program

SECOND_DIFFERENCE_DIGITS = 40  # a second difference at a step of 1e-15 loses 30 digits
NORMWISE = mpmath.mpf("1e-3")  # entries are resolved relative to this share of the largest
MOST_ROUNDS = 4  # precision raises for the Hessian before its estimate is taken as it is


class GroundTruthHigherOrder:
    name = "mpmath"

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        return [self.jvp_point(program, point, direction) for point in points]

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        return [self.hessian_point(program, point) for point in points]

    def jvp_point(self, program: Program, point, direction) -> JvpOutcome:
        try:
            exact, values, digits = _smooth_values(program, point)
            derivative, error = _directional(program, exact, direction, digits, values)
        except NotApplicable as error:
            return JvpOutcome.failure(f"no ground truth: {error}")
        return JvpOutcome(float(values[-1]), float(derivative), jvp_error=float(error))

    def hessian_point(self, program: Program, point) -> HessianOutcome:
        try:
            exact, values, digits = _smooth_values(program, point)
            rows, errors = _hessian(program, exact, digits + SECOND_DIFFERENCE_DIGITS, values)
        except NotApplicable as error:
            return HessianOutcome.failure(f"no ground truth: {error}", program.n_inputs)
        return HessianOutcome(
            tuple(tuple(float(x) for x in row) for row in rows),
            errors=tuple(tuple(float(e) for e in row) for row in errors),
        )


def _smooth_values(program: Program, point):
    exact, values, digits = values_at_working_precision(program, point)
    for step in program.steps:
        operand = kinked_operand(step)
        if operand is not None and values[operand] == 0:
            raise NotApplicable("an intermediate sits exactly on a kink")
    return exact, values, digits


def _output(program: Program, exact, moves):
    """``f`` at ``exact`` moved by ``moves`` (input index -> offset), in exact arithmetic."""
    moved = list(exact)
    for index, offset in moves.items():
        moved[index] += offset
    return exact_values(program, moved)[-1]


def _noise(digits: int, values, program: Program):
    """How far an exact evaluation at ``digits`` may be off: about 10**-digits of the largest
    value, once per value computed."""
    largest = max(abs(v) for v in values)
    return mpmath.mpf(10) ** -digits * largest * program.n_values


# --- directional derivative -----------------------------------------------------------------


def _directional(program: Program, exact, direction, digits: int, values):
    moving = [i for i, v in enumerate(direction) if v != 0.0]
    if not moving:
        return mpmath.mpf(0), mpmath.mpf(0)
    while True:
        with mpmath.workdps(digits):
            v = [mpmath.mpf(x) for x in direction]
            h = min(step_size(exact[i]) / abs(v[i]) for i in moving)

            def along(t, v=v):
                return _output(program, exact, {i: t * v[i] for i in moving})

            coarse = (along(h) - along(-h)) / (2 * h)
            fine = (along(h / 2) - along(-h / 2)) / h
            derivative = (4 * fine - coarse) / 3
            rounding = _noise(digits, values, program) / h
            error = abs(derivative - fine) + rounding
        finer = more_digits(digits, rounding, derivative)
        if finer is None:
            return derivative, error
        digits = finer


# --- Hessian ---------------------------------------------------------------------------------


def _hessian(program: Program, exact, digits: int, values):
    n = program.n_inputs
    for _ in range(MOST_ROUNDS):
        with mpmath.workdps(digits):
            steps = [step_size(x) for x in exact]
            noise = _noise(digits, values, program)
            middle = _output(program, exact, {})
            rows = [[mpmath.mpf(0)] * n for _ in range(n)]
            errors = [[mpmath.mpf(0)] * n for _ in range(n)]
            rounding = [[mpmath.mpf(0)] * n for _ in range(n)]
            for i in range(n):
                for j in range(i, n):
                    entry, truncation, lost = _second(program, exact, i, j, steps, middle, noise)
                    rows[i][j] = rows[j][i] = entry
                    errors[i][j] = errors[j][i] = truncation + lost
                    rounding[i][j] = rounding[j][i] = lost
            finer = _more_digits(digits, rows, rounding)
        if finer is None:
            break
        digits = finer
    return rows, errors


def _second(program: Program, exact, i: int, j: int, steps, middle, noise):
    """d2 f / dx_i dx_j, Richardson-extrapolated from steps h and h/2: (estimate, truncation
    error, rounding error)."""
    estimates = []
    for scale in (1, 2):
        hi, hj = steps[i] / scale, steps[j] / scale
        if i == j:
            above = _output(program, exact, {i: hi})
            below = _output(program, exact, {i: -hi})
            estimates.append((above - 2 * middle + below) / (hi * hi))
            rounding = 4 * noise / (hi * hi)
        else:
            corners = _output(program, exact, {i: hi, j: hj})
            corners -= _output(program, exact, {i: hi, j: -hj})
            corners -= _output(program, exact, {i: -hi, j: hj})
            corners += _output(program, exact, {i: -hi, j: -hj})
            estimates.append(corners / (4 * hi * hj))
            rounding = noise / (hi * hj)
    coarse, fine = estimates
    extrapolated = (4 * fine - coarse) / 3
    return extrapolated, abs(extrapolated - fine), rounding


def _more_digits(digits: int, rows, rounding) -> int | None:
    """The precision at which every entry's rounding is resolved (below :data:`RESOLVED` of
    the larger of the entry and :data:`NORMWISE` of the largest entry); None when it is."""
    largest = max(abs(x) for row in rows for x in row)
    if largest == 0 or digits >= MOST_DIGITS:
        return None  # every entry exactly zero: a program linear in each input
    worst = max(
        lost / (RESOLVED * max(abs(x), NORMWISE * largest))
        for row, lost_row in zip(rows, rounding, strict=True)
        for x, lost in zip(row, lost_row, strict=True)
    )
    if worst <= 1:
        return None
    return min(MOST_DIGITS, digits + int(mpmath.log10(worst)) + 5)
