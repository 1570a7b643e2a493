"""What an engine returned for a forward-mode or second-order question at one input point.

The first-order :class:`~oracle.outcome.Outcome` holds a value and a gradient; the
higher-order checks (:mod:`oracle.higher_order`) ask other questions, each with its own
outcome:

* :class:`JvpOutcome`: the value and the directional derivative ``J v`` along a direction;
* :class:`HessianOutcome`: the matrix of second derivatives, one row per input.

As for first order, an engine that raises gives a failed outcome carrying the error, and the
high-precision ground truth attaches its own error estimate to each number (float64 engines
leave it at zero: the tolerance policy bounds their error instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oracle.outcome import describe, json_float


@dataclass(frozen=True)
class JvpOutcome:
    value: float
    jvp: float
    error: str | None = None
    jvp_error: float = 0.0  # the engine's own estimate of its absolute error on jvp

    @classmethod
    def failure(cls, error: BaseException | str) -> JvpOutcome:
        return cls(math.nan, math.nan, error=_text(error))

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        data = {"value": json_float(self.value), "jvp": json_float(self.jvp)}
        if self.error is not None:
            data["error"] = self.error
        if self.jvp_error:
            data["jvp_error"] = json_float(self.jvp_error)
        return data


@dataclass(frozen=True)
class HessianOutcome:
    rows: tuple[tuple[float, ...], ...]  # rows[i][j] = d2 f / dx_i dx_j
    error: str | None = None
    errors: tuple[tuple[float, ...], ...] | None = None  # per entry, for the ground truth

    @classmethod
    def failure(cls, error: BaseException | str, n_inputs: int) -> HessianOutcome:
        nan_row = (math.nan,) * n_inputs
        return cls((nan_row,) * n_inputs, error=_text(error))

    @property
    def ok(self) -> bool:
        return self.error is None

    def entry_error(self, i: int, j: int) -> float:
        return 0.0 if self.errors is None else self.errors[i][j]

    def to_json(self) -> dict:
        data = {"hessian": [[json_float(x) for x in row] for row in self.rows]}
        if self.error is not None:
            data["error"] = self.error
        if self.errors is not None:
            data["hessian_error"] = [[json_float(x) for x in row] for row in self.errors]
        return data


def _text(error: BaseException | str) -> str:
    return describe(error) if isinstance(error, BaseException) else error
