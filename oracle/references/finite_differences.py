"""Central finite differences in float64 with Richardson extrapolation, all points at once.

For input ``i`` the step is ``h = 1e-2 min(|x_i|, 1)`` (``1e-2`` at zero): relative for small
inputs, and never wider than 0.01, where oscillating functions of large inputs turn. Central
differences ``D(h), D(h/2), D(h/4)`` are extrapolated twice (Richardson), cancelling the
``h**2`` and ``h**4`` error terms; the rounding error is about ``u |f| sqrt(steps) / h``. The error
reported with each entry is how far the last extrapolation moved the estimate plus that
rounding term: finite differences are judged by it, and are *unreliable* wherever it is large
(near kinks, at scales finer than the step).

The program runs through the oracle's own float64 forward (NumPy ufuncs, IEEE results) on one
array holding every perturbed copy of every point, so a whole case is one evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oracle.ops import OPS
from oracle.outcome import Outcome
from oracle.program import Program

RELATIVE_STEP = 1e-2
LEVELS = (1.0, 0.5, 0.25)  # step multipliers: h, h/2, h/4
UNIT_ROUNDOFF = 2.0**-53
FLOAT64_CALLS = {name: spec.float64 for name, spec in OPS.items()}


def evaluate_float64(program: Program, columns: Sequence[np.ndarray]) -> np.ndarray:
    """The program's output over arrays of inputs, with IEEE float64 semantics."""
    with np.errstate(all="ignore"):
        return np.asarray(program.run(list(columns), FLOAT64_CALLS), dtype=np.float64)


class FiniteDifferences:
    name = "fd"

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        base = np.asarray(points, dtype=np.float64).reshape(len(points), program.n_inputs)
        steps = RELATIVE_STEP * np.minimum(np.where(base != 0.0, np.abs(base), 1.0), 1.0)
        # Rows: the points, then for each input and each level the points moved by +h and -h.
        blocks = [base]
        for i in range(program.n_inputs):
            for level in LEVELS:
                for sign in (1.0, -1.0):
                    moved = base.copy()
                    moved[:, i] += sign * level * steps[:, i]
                    blocks.append(moved)
        stacked = np.concatenate(blocks)
        output = np.broadcast_to(evaluate_float64(program, stacked.T), (len(stacked),))
        n = len(points)
        values = output[:n]
        # Each evaluation carries rounding that grows with the program: a random walk of
        # roundings, about u |f| sqrt(steps), with a safety factor.
        noise = 8 * UNIT_ROUNDOFF * np.abs(values) * np.sqrt(1 + len(program))
        rows = iter(range(1, len(blocks)))
        gradients, errors = [], []
        with np.errstate(all="ignore"):
            for i in range(program.n_inputs):
                differences = []
                for level in LEVELS:
                    above, below = (output[n * r : n * (r + 1)] for r in (next(rows), next(rows)))
                    differences.append((above - below) / (2 * level * steps[:, i]))
                estimate, error = _richardson(differences)
                rounding = noise / (LEVELS[-1] * steps[:, i])
                gradients.append(estimate)
                errors.append(np.where(np.isfinite(error), error + rounding, np.inf))
        return [
            Outcome(
                float(values[p]),
                tuple(float(g[p]) for g in gradients),
                gradient_error=tuple(float(e[p]) for e in errors),
            )
            for p in range(n)
        ]


def _richardson(differences):
    """Extrapolate central differences at steps h, h/2, h/4 to step 0 (error O(h**6)).

    Returns the estimate and how far the last extrapolation moved it, the error estimate.
    """
    d1, d2, d4 = differences
    r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3  # O(h**4)
    best = (16 * r2 - r1) / 15
    return best, np.abs(best - r2)
