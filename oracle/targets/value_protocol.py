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
"""

from __future__ import annotations

from collections.abc import Sequence

from oracle.limits import TargetTimeout, time_limit
from oracle.ops import OPS
from oracle.outcome import Outcome
from oracle.program import Const, Program, Step


class ProtocolError(TypeError):
    """The engine broke the value protocol (a missing ``.grad``, a non-float ``.data``...)."""


class ValueProtocolTarget:
    def __init__(self, cls: type, name: str):
        self.cls = cls
        self.name = name
        self.unsupported_ops = probe(cls)
        self.supported_ops = tuple(op for op in OPS if op not in self.unsupported_ops)
        missing = [op for op in ("add", "sub", "mul") if op in self.unsupported_ops]
        if missing:
            from oracle.targets import TargetLoadError

            reasons = "; ".join(f"{op}: {self.unsupported_ops[op]}" for op in missing)
            raise TargetLoadError(f"{name} lacks required arithmetic ({reasons})")

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


def as_float(number, what: str) -> float:
    """``number`` as a float, or a ProtocolError naming ``what`` was wrong with it."""
    if number is None:
        raise ProtocolError(f"{what} is missing (None)")
    if isinstance(number, bool) or not isinstance(number, (float, int)):
        raise ProtocolError(f"{what} is a {type(number).__name__}, not a float")
    return float(number)


# --- probing --------------------------------------------------------------------------------


def _probe_programs(op: str) -> list[tuple[Program, tuple[float, ...]]]:
    """One-step programs trying ``op`` in every placement programs use, inside its domain."""
    if op == "pow":
        steps = [Step("pow", (0, Const(exponent))) for exponent in (2.0, 0.5, -1.0)]
        return [(Program(1, (step,)), (1.3,)) for step in steps]
    if OPS[op].arity == 1:
        return [(Program(1, (Step(op, (0,)),)), (0.7,))]
    two_values = (Program(2, (Step(op, (0, 1)),)), (1.3, 0.7))
    constant_right = (Program(1, (Step(op, (0, Const(2.0))),)), (1.3,))
    constant_left = (Program(1, (Step(op, (Const(2.0), 0)),)), (1.3,))
    return [two_values, constant_right, constant_left]


def probe(cls: type) -> dict[str, str]:
    """Ops ``cls`` cannot run, each with the reason (the first failure seen)."""
    unsupported = {}
    for op in OPS:
        for program, point in _probe_programs(op):
            reason = _probe_once(cls, program, point)
            if reason is not None:
                unsupported[op] = reason
                break
    return unsupported


def _probe_once(cls, program: Program, point) -> str | None:
    text = program.to_python().splitlines()[-1].strip().removeprefix("return ")
    try:
        with time_limit(5.0):
            leaves = [cls(x) for x in point]
            output = program.run(leaves)
    except (Exception, TargetTimeout) as error:
        return f"{text} raises {type(error).__name__}: {error}"
    if not hasattr(output, "backward"):
        return f"{text} returns a {type(output).__name__}, not a value with .backward()"
    return None
