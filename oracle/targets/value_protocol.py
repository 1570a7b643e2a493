"""The value protocol: micrograd-style scalar classes.

An engine follows it when ``V(x)`` builds a leaf from a float, ``out.backward()`` fills
``.grad`` (a float) on every leaf, ``.data`` holds the value, arithmetic works with numbers on
either side (``v + 2.0``, ``2.0 - v``), ``-v`` and ``v ** number`` work, and some of the methods
``relu tanh exp log sigmoid sin cos sqrt`` and ``abs(v)`` exist. The adapter probes each op once
and generates programs from the supported ones only; the rest are listed, never silently
skipped. ``+``, ``-`` and ``*`` are required.

Everything the engine does wrong while evaluating a point is caught here and becomes a failed
outcome: an exception, a ``.grad`` that is missing or not a float, a ``.data`` that is not a
float. (A hang is cut off by the campaign's time limit, which fails the whole case.)

The target's ``stateful`` attribute, a :class:`ValueDriver`, is how the stateful family
(:mod:`oracle.stateful`) drives the engine's graphs through several backward passes.
"""

from __future__ import annotations

from collections.abc import Sequence

from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets import common
from oracle.targets.common import ProtocolError

__all__ = ["ProtocolError", "ValueDriver", "ValueProtocolTarget", "as_float", "probe"]


class ValueProtocolTarget:
    def __init__(self, cls: type, name: str):
        self.cls = cls
        self.name = name
        self.unsupported_ops = probe(cls)
        self.supported_ops = common.supported(self.unsupported_ops)
        common.require_arithmetic(name, self.unsupported_ops)
        self.stateful = ValueDriver(cls)

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        return [self.evaluate_point(program, point) for point in points]

    def evaluate_point(self, program: Program, point: Sequence[float]) -> Outcome:
        try:
            return self._run(program, point)
        except Exception as error:
            return Outcome.failure(error, program.n_inputs)

    def _run(self, program: Program, point: Sequence[float]) -> Outcome:
        leaves = [self.cls(float(x)) for x in point]
        output = program.run(leaves)
        output.backward()
        value = as_float(getattr(output, "data", None), "the output's .data")
        gradient = tuple(
            as_float(getattr(leaf, "grad", None), f"x{i}.grad") for i, leaf in enumerate(leaves)
        )
        return Outcome(value, gradient)


class ValueDriver:
    """How the stateful family drives a value-protocol engine (see :mod:`oracle.stateful`).

    Leaves are ``cls(x)``, ops are Python's operators and methods, ``out.backward()`` runs a
    backward pass, and a leaf's gradient is reset as micrograd's users reset it,
    ``leaf.grad = 0.0``. Every node of such an engine has a ``.grad``, so interior gradients
    can be compared too (``keeps_interior``).
    """

    keeps_interior = True

    def __init__(self, cls: type):
        self.cls = cls

    def leaf(self, x: float):
        return self.cls(float(x))

    def run(self, program: Program, leaves: Sequence) -> list:
        return program.evaluate(leaves)

    def backward(self, output) -> None:
        output.backward()

    def zero_grad(self, leaf) -> None:
        leaf.grad = 0.0

    def grad(self, node, what: str) -> float:
        return as_float(getattr(node, "grad", None), what)

    def data(self, node, what: str) -> float:
        return as_float(getattr(node, "data", None), what)


def as_float(number, what: str) -> float:
    """``number`` as a float, or a ProtocolError naming ``what`` was wrong with it."""
    if number is None:
        raise ProtocolError(f"{what} is missing (None)")
    if isinstance(number, bool) or not isinstance(number, (float, int)):
        raise ProtocolError(f"{what} is a {type(number).__name__}, not a float")
    return float(number)


# --- probing --------------------------------------------------------------------------------


def probe(cls: type) -> dict[str, str]:
    """Ops ``cls`` cannot run forward, each with the reason (the first failure seen)."""

    def attempt(program: Program, point) -> str | None:
        output = program.run([cls(x) for x in point])
        if not hasattr(output, "backward"):
            return f"returns a {type(output).__name__}, not a value with .backward()"
        return None

    return common.probe(attempt)
