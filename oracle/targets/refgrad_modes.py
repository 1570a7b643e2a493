"""refgrad's modes as targets, through the one door ``refgrad.value_and_grad(f, mode=...)``.

The program becomes a Python function over refgrad values (``f = lambda *x: program.run(x)``),
so the static and compiled modes trace it exactly as they would trace a user's function. The
batched mode evaluates all points of a case in one call, over NumPy arrays.

A graph mode can be named with the optimisation passes it runs instead of its default
(``value_and_grad(..., passes=...)``): ``refgrad-static[passes=cse]``,
``refgrad-compiled[passes=simplify,fold,cse,dce]``, ``refgrad-static[passes=none]`` (no
pass), so every pass configuration can face the references (``oracle passes`` does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from oracle.ops import OPS
from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets.differentiators import RefgradDifferentiator
from oracle.targets.value_protocol import as_float

NO_PASSES = "none"  # in a spec: passes=none, the empty sequence
_SPEC = re.compile(r"(?P<mode>[a-z]+)(\[passes=(?P<passes>[^\]]*)\])?")


def spec_name(mode: str, passes: Sequence[str] | None = None) -> str:
    """The target name: ``refgrad-static``, or ``refgrad-static[passes=simplify,dce]``."""
    if passes is None:
        return f"refgrad-{mode}"
    return f"refgrad-{mode}[passes={','.join(passes) or NO_PASSES}]"


def parse_spec(text: str) -> tuple[str, tuple[str, ...] | None]:
    """``"static[passes=cse,dce]"`` (a spec after ``refgrad-``) -> ``("static", ("cse",
    "dce"))``; no brackets -> passes None. ValueError if it does not parse."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ValueError(f"cannot parse {text!r}: expected MODE or MODE[passes=NAME,...]")
    passes = match["passes"]
    if passes is None:
        return match["mode"], None
    names = tuple(name.strip() for name in passes.split(",") if name.strip())
    return match["mode"], () if names == (NO_PASSES,) else names


class RefgradTarget:
    def __init__(self, mode: str, passes: Sequence[str] | None = None):
        import refgrad  # refgrad is this distribution's own package; always importable

        self.refgrad = refgrad
        self.mode = mode
        self.passes = None if passes is None else tuple(passes)
        self.name = spec_name(mode, self.passes)
        self.supported_ops = tuple(OPS)
        self.unsupported_ops: dict[str, str] = {}
        if self.passes is not None:  # unknown pass names, or eager mode: fail at load
            refgrad.value_and_grad(lambda x: x, mode=mode, passes=self.passes)
        # Forward mode and Hessians (oracle.higher_order): refgrad.jvp and refgrad.hessian.
        self.higher_order = RefgradDifferentiator(mode, self.passes)

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        function = self.refgrad.value_and_grad(
            lambda *inputs: program.run(inputs),
            argnums=tuple(range(program.n_inputs)),
            mode=self.mode,
            passes=self.passes,
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
