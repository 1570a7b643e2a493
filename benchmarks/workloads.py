"""Seeded workloads that every benchmark runs on every engine.

A workload is engine-agnostic Python source: a straight-line function of its inputs that uses
only what published micrograd supports (``+``, ``*``, ``** number``, ``relu()``). Compiling the
DAG to straight-line code (instead of interpreting a step list) keeps dispatch overhead out of
the measurement, so the time measured is the engine's own.

The random DAG has fan-out (an operand is drawn as an offset back from the newest value, so
recent values are reused many times) and self-operands (``x * x`` when both offsets agree).
Every value stays in [-1, 1] by construction, so no engine ever meets an overflow: an addition
is always followed by a halving, products and powers of numbers in [-1, 1] stay there, and
only the final fold of unused values (the sinks) into one output adds up a few of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (name, probability). An "add" step emits two nodes: the sum, then its halving.
_STEP_KINDS = (("add", 0.30), ("mul", 0.30), ("relu", 0.20), ("pow", 0.20))
_MEAN_OFFSET = 6.0  # how far back operands are drawn, on average: small means much fan-out


@dataclass
class Workload:
    """A seeded program: Python source for ``forward(x0, x1, ...)`` plus its input point."""

    name: str
    n_nodes: int
    inputs: tuple[float, ...]
    source: str
    _function: object = field(default=None, repr=False)

    @property
    def forward(self):
        """The compiled function: engine Values in, the output Value out."""
        if self._function is None:
            namespace: dict[str, object] = {}
            exec(compile(self.source, f"<workload {self.name}>", "exec"), namespace)
            self._function = namespace["forward"]
        return self._function

    def forward_backward(self, value_class) -> list:
        """Build the graph with ``value_class``, backpropagate, return the input Values."""
        leaves = [value_class(x) for x in self.inputs]
        self.forward(*leaves).backward()
        return leaves


def random_dag(n_nodes: int, seed: int = 0, n_inputs: int = 8) -> Workload:
    """A random DAG of exactly ``n_nodes`` op nodes over ``n_inputs`` inputs in [-1, 1]."""
    if n_nodes < n_inputs:
        raise ValueError(f"n_nodes={n_nodes} must be at least n_inputs={n_inputs}")
    rng = random.Random(seed)
    lines: list[str] = []
    unused: dict[int, None] = dict.fromkeys(range(n_inputs))  # insertion-ordered set
    count = n_inputs  # values so far; value i is named v{i}

    def emit(expression: str, operands: tuple[int, ...]) -> None:
        nonlocal count
        lines.append(f"    v{count} = {expression}")
        for operand in operands:
            unused.pop(operand, None)
        unused[count] = None
        count += 1

    def recent() -> int:
        offset = int(rng.expovariate(1.0 / _MEAN_OFFSET))
        return max(0, count - 1 - offset)

    def first_operand() -> int:
        # Prefer a value nobody uses yet, so that few values end up outside the output's cone.
        return next(iter(unused)) if unused and rng.random() < 0.5 else recent()

    while len(lines) < n_nodes:
        budget = n_nodes - len(lines)
        if len(unused) - 1 >= budget or budget == 1:
            # Fold the sinks into one output; these sums are the only unhalved additions.
            a, b = list(unused)[:2] if len(unused) >= 2 else (count - 1, count - 1)
            emit(f"v{a} + v{b}", (a, b))
            continue
        kind = rng.choices([k for k, _ in _STEP_KINDS], [p for _, p in _STEP_KINDS])[0]
        a = first_operand()
        if kind == "add" and budget >= 2:
            b = recent()
            emit(f"v{a} + v{b}", (a, b))
            emit(f"v{count - 1} * 0.5", (count - 1,))
        elif kind == "mul":
            b = recent()
            emit(f"v{a} * v{b}", (a, b))
        elif kind == "pow":
            emit(f"v{a} ** {rng.choice((2, 3))}", (a,))
        else:
            emit(f"v{a}.relu()", (a,))

    arguments = ", ".join(f"v{i}" for i in range(n_inputs))
    source = f"def forward({arguments}):\n" + "\n".join(lines) + f"\n    return v{count - 1}\n"
    inputs = tuple(rng.uniform(-1.0, 1.0) for _ in range(n_inputs))
    return Workload(f"random_dag(n={n_nodes}, seed={seed})", n_nodes, inputs, source)
