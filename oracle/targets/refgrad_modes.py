"""refgrad's modes as targets, through the one door ``refgrad.value_and_grad(f, mode=...)``.

The program becomes a Python function over refgrad values (``f = lambda *x: program.run(x)``),
so the static and compiled modes trace it exactly as they would trace a user's function. The
batched mode evaluates all points of a case in one call, over NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

from oracle.ops import OPS
from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets.value_protocol import as_float


class RefgradTarget:
    def __init__(self, mode: str):
        import refgrad  # refgrad is this distribution's own package; always importable

        self.refgrad = refgrad
        self.mode = mode
        self.name = f"refgrad-{mode}"
        self.supported_ops = tuple(OPS)
        self.unsupported_ops: dict[str, str] = {}

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        function = self.refgrad.value_and_grad(
            lambda *inputs: program.run(inputs),
            argnums=tuple(range(program.n_inputs)),
            mode=self.mode,
        )
        try:
            if self.mode == "batched":
                return self._batched(function, program, points)
            return [self._one(function, point) for point in points]
        except Exception as error:
            return [Outcome.failure(error, program.n_inputs) for _ in points]

    @staticmethod
    def _one(function, point) -> Outcome:
        value, gradient = function(*point)
        return Outcome(
            as_float(value, "the value"),
            tuple(as_float(g, f"d/dx{i}") for i, g in enumerate(gradient)),
        )

    @staticmethod
    def _batched(function, program: Program, points) -> list[Outcome]:
        import numpy as np

        columns = [np.asarray(column, dtype=np.float64) for column in zip(*points, strict=True)]
        values, gradients = function(*columns)
        values = np.broadcast_to(values, (len(points),))
        gradients = [np.broadcast_to(g, (len(points),)) for g in gradients]
        return [
            Outcome(float(values[p]), tuple(float(g[p]) for g in gradients))
            for p in range(len(points))
        ]
