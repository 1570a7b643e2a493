"""Random straight-line programs for refgrad's own property tests.

A program is a list of steps over a growing list of values (the inputs first). Each step names
a kind and its operands as offsets back from the newest value, so Hypothesis shrinks towards
short programs over recent values, and fan-out (a value used many times) and self-operands
(``x * x``) arise naturally. Every step kind is defined on all reals, so any input point is
fair (composite steps like ``log(a*a + 1)`` keep log, sqrt, div and pow inside their domains).

Programs run by duck typing on anything with Python operators and the methods ``tanh``,
``sigmoid``, ``relu``, ``abs``, ``sin``, ``cos``, ``exp``, ``log``, ``sqrt``: refgrad Values and
torch tensors alike. (The oracle has its own, independent program IR; this one only serves
refgrad's tests.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import strategies as st

# kind -> (arity, function of operands). Written once, run on every engine.
STEP_KINDS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "neg": (1, lambda a: -a),
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "abs": (1, lambda a: a.abs()),
    "sin": (1, lambda a: a.sin()),
    "cos": (1, lambda a: a.cos()),
    "exp_tanh": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 1.0).log()),
    "sqrt": (1, lambda a: (a * a + 1.0).sqrt()),
    "div": (2, lambda a, b: a / (b * b + 1.0)),
    "rdiv": (1, lambda a: 2.0 / (a * a + 0.5)),
    "pow_number": (1, lambda a: a**3),
    "number_pow": (1, lambda a: 1.5**a),
    "pow": (2, lambda a, b: (a * a + 0.5) ** b.tanh()),
    "add_number": (1, lambda a: 0.5 + a),
    "mul_number": (1, lambda a: a * -1.5),
}


@dataclass(frozen=True)
class Program:
    n_inputs: int
    steps: tuple[tuple[str, tuple[int, ...]], ...]  # (kind, absolute operand indices)

    def run(self, inputs):
        """Evaluate on ``inputs`` (Values, tensors...); return the last value."""
        values = list(inputs)
        for kind, operands in self.steps:
            _, function = STEP_KINDS[kind]
            values.append(function(*(values[i] for i in operands)))
        return values[-1]

    def __str__(self) -> str:
        lines = [f"x{i} = input" for i in range(self.n_inputs)]
        for number, (kind, operands) in enumerate(self.steps, start=self.n_inputs):
            lines.append(f"x{number} = {kind}({', '.join(f'x{i}' for i in operands)})")
        return "\n".join(lines)


@st.composite
def programs(draw, max_inputs: int = 3, max_steps: int = 12, kinds=tuple(STEP_KINDS)):
    n_inputs = draw(st.integers(1, max_inputs))
    steps = []
    count = n_inputs
    while len(steps) < max_steps and (not steps or draw(st.booleans())):
        kind = draw(st.sampled_from(kinds))
        arity = STEP_KINDS[kind][0]
        offsets = [draw(st.integers(0, count - 1)) for _ in range(arity)]
        steps.append((kind, tuple(count - 1 - offset for offset in offsets)))
        count += 1
    return Program(n_inputs, tuple(steps))


def points(n_inputs: int):
    """Input points with magnitudes over several scales (small programs stay finite mostly)."""
    magnitude = st.one_of(
        st.floats(-3.0, 3.0, allow_nan=False),
        st.floats(-1e-3, 1e-3, allow_nan=False),
        st.floats(-20.0, 20.0, allow_nan=False),
    )
    return st.tuples(*[magnitude] * n_inputs)


def is_finite_and_moderate(number: float, bound: float = 1e6) -> bool:
    return math.isfinite(number) and abs(number) <= bound
