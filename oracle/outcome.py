"""What one engine (a target or a reference) returned for a program at one input point."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """The output value and the gradient (one entry per input), or the error raised instead.

    ``gradient_error`` is the engine's own estimate of its absolute error per gradient entry,
    for references that have one (finite differences, the high-precision ground truth); None
    for float64 engines, whose error the tolerance policy bounds instead.
    """

    value: float
    gradient: tuple[float, ...]
    error: str | None = None
    value_error: float = 0.0
    gradient_error: tuple[float, ...] | None = None
    # Left and right derivatives per input, where the ground truth found the point on a kink.
    one_sided: tuple[tuple[float, float], ...] | None = None

    @classmethod
    def failure(cls, error: BaseException | str, n_inputs: int) -> Outcome:
        if isinstance(error, BaseException):
            error = describe(error)
        nan = float("nan")
        return cls(nan, (nan,) * n_inputs, error=error)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        data = {"value": json_float(self.value), "gradient": [json_float(g) for g in self.gradient]}
        if self.error is not None:
            data["error"] = self.error
        if self.gradient_error is not None:
            data["value_error"] = json_float(self.value_error)
            data["gradient_error"] = [json_float(e) for e in self.gradient_error]
        if self.one_sided is not None:
            data["one_sided"] = [[json_float(x) for x in pair] for pair in self.one_sided]
        return data


def json_float(number: float) -> float | str:
    """Strict JSON has no nan or inf: those are written as the strings "nan", "inf", "-inf"."""
    return number if math.isfinite(number) else repr(float(number))


def describe(error: BaseException) -> str:
    """``"RecursionError: maximum recursion depth exceeded"``, trimmed to one line."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
