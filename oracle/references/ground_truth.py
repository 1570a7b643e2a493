"""The high-precision ground truth: exact forward semantics, differentiated numerically.

The program is evaluated in mpmath from :mod:`oracle.ops`'s exact functions alone, and each
partial derivative of the *whole program* is a central difference at a step of 1e-15 (relative
below 1), Richardson-extrapolated; no derivative rule and no chain rule is involved. Precision
starts at 50 digits beyond the largest value and grows until rounding can no longer hide the
derivative (a gradient of 1e-52 next to an output of 1 needs about 90 digits). The reported
error is the extrapolation's movement plus that rounding (below 1e-25 relative where the
program is smooth). The value is the exact output rounded to float64.

Where an intermediate sits exactly on a kink (``relu(0)``, ``abs(0)``...), the two one-sided
derivatives are reported instead of a central one that would average them.

Points with non-finite inputs, and programs whose exact value is undefined there (a pole,
``log`` of a negative), have no ground truth: the outcome is a failure saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from oracle.exact import (
    NotApplicable,
    exact_values,
    kinked_operand,
    more_digits,
    step_size,
    values_at_working_precision,
)
from oracle.outcome import Outcome
from oracle.program import Program


class GroundTruth:
    name = "mpmath"

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        return [self.evaluate_point(program, point) for point in points]

    def evaluate_point(self, program: Program, point: Sequence[float]) -> Outcome:
        try:
            exact, values, digits = values_at_working_precision(program, point)
            reaching = program.inputs_reaching_output()
            on_kink = _sits_on_kink(program, values)
            largest = max(abs(v) for v in values)
            derivatives = [
                _derivative(program, exact, i, digits, on_kink, largest) if i in reaching else _ZERO
                for i in range(program.n_inputs)
            ]
        except NotApplicable as error:
            return Outcome.failure(f"no ground truth: {error}", program.n_inputs)
        kink = any(d.one_sided is not None for d in derivatives)
        return Outcome(
            float(values[-1]),
            tuple(float(d.value) for d in derivatives),
            gradient_error=tuple(float(d.error) for d in derivatives),
            one_sided=tuple(d.one_sided or (float(d.value),) * 2 for d in derivatives)
            if kink
            else None,
        )


class _Derivative:
    def __init__(self, value, error, one_sided=None):
        self.value, self.error, self.one_sided = value, error, one_sided


_ZERO = _Derivative(mpmath.mpf(0), mpmath.mpf(0))


def _derivative(program: Program, exact, i: int, digits: int, on_kink, largest) -> _Derivative:
    """d output / d x_i, with enough digits that rounding cannot hide it.

    ``on_kink``: an intermediate sits exactly on a kink (one-sided derivatives are taken);
    ``largest``: the largest magnitude among the program's values, which sets the rounding.
    """
    if on_kink:
        with mpmath.workdps(digits):
            left, right, error = _one_sided(program, exact, i)
        return _Derivative((left + right) / 2, error, (float(left), float(right)))
    while True:
        with mpmath.workdps(digits):
            derivative, truncation = _central(program, exact, i)
            # Each evaluation is exact to about 10**-digits of the largest value involved.
            noise = mpmath.mpf(10) ** -digits * largest * program.n_values
            rounding = noise / step_size(exact[i])
        finer = more_digits(digits, rounding, derivative)
        if finer is None:
            return _Derivative(derivative, truncation + rounding)
        digits = finer


def _sits_on_kink(program: Program, values) -> bool:
    operands = (kinked_operand(step) for step in program.steps)
    return any(operand is not None and values[operand] == 0 for operand in operands)


def _output_along(program: Program, exact, i):
    def output(x):
        moved = list(exact)
        moved[i] = x
        return exact_values(program, moved)[-1]

    return output


def _central(program: Program, exact, i):
    output, x = _output_along(program, exact, i), exact[i]
    h = step_size(x)
    coarse = (output(x + h) - output(x - h)) / (2 * h)
    fine = (output(x + h / 2) - output(x - h / 2)) / h
    extrapolated = (4 * fine - coarse) / 3
    return extrapolated, abs(extrapolated - fine)


def _one_sided(program: Program, exact, i):
    output, x = _output_along(program, exact, i), exact[i]
    h, middle = step_size(x), output(x)
    sides = []
    for direction in (-1, 1):
        coarse = (output(x + direction * h) - middle) / (direction * h)
        fine = (output(x + direction * h / 2) - middle) / (direction * h / 2)
        sides.append((2 * fine - coarse, abs(fine - coarse)))
    (left, left_error), (right, right_error) = sides
    return left, right, max(left_error, right_error)
