"""A reference (torch, jax) tested as if it were a target: to compare references' conventions
with each other, and to check the harness itself against engines known to be right."""

from __future__ import annotations

from collections.abc import Sequence

from oracle import references
from oracle.ops import OPS
from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets.differentiators import ReferenceDifferentiator


class ReferenceTarget:
    def __init__(self, name: str):
        self.reference = references.load(name)
        self.higher_order = ReferenceDifferentiator(name)  # its jvp and Hessian, batched
        self.name = name
        self.supported_ops = tuple(OPS)
        self.unsupported_ops: dict[str, str] = {}

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        return self.reference.evaluate(program, points)
