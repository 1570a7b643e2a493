"""What the protocol adapters share: probing an engine's ops, and checking what it hands back.

**Probing.** Every op is tried once, before any case runs, on one-step programs in each
placement programs use (``x0 * x1``, ``x0 * 2.0``, ``2.0 * x0``; ``x ** c`` for a few
exponents), inside the op's domain and under a time limit. An op whose *forward* pass fails is
unsupported, listed with the reason, and never drawn. A failure after the forward pass (in the
backward pass, or a result of the wrong type) does not make an op unsupported: that is a finding
about the engine, which the campaign reports. ``+``, ``-`` and ``*`` are required.

**Results.** An engine's value and partials must be real float64 scalars: Python floats (and
ints), NumPy float64 scalars, or 0-d float64 arrays and tensors (NumPy, torch, JAX, mygrad...).
Anything else (None, float32, a complex number, an array of another shape) is a
:class:`ProtocolError`, which the adapters turn into a failed outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from oracle.limits import TargetTimeout, time_limit
from oracle.ops import OPS
from oracle.program import Const, Program, Step

PROBE_SECONDS = 5.0
REQUIRED_OPS = tuple(name for name, spec in OPS.items() if spec.required)  # add, sub, mul


class ProtocolError(TypeError):
    """The engine broke its protocol (a missing ``.grad``, a float32 partial, no value...)."""


# --- checking results ------------------------------------------------------------------------


def as_float64(number, what: str) -> float:
    """``number`` as a float, if it is a real float64 scalar; else a ProtocolError naming
    ``what`` was wrong with it."""
    if number is None:
        raise ProtocolError(f"{what} is missing (None)")
    if isinstance(number, bool):
        raise ProtocolError(f"{what} is a bool, not a float")
    if isinstance(number, (float, int)):  # NumPy's float64 scalar is a float subclass
        return float(number)
    dtype, shape = getattr(number, "dtype", None), getattr(number, "shape", None)
    if dtype is None or shape is None:
        raise ProtocolError(f"{what} is a {type(number).__name__}, not a float64 scalar")
    if tuple(shape) != ():
        raise ProtocolError(
            f"{what} is a {type(number).__name__} of shape {tuple(shape)}, not a scalar"
        )
    if _dtype_name(dtype) not in ("float64", "double"):
        kind = type(number).__name__
        if kind != _dtype_name(dtype):  # a NumPy float32 scalar is a "float32" already
            kind = f"{kind} of dtype {dtype}"
        raise ProtocolError(f"{what} is a {kind}, not float64")
    return float(number.item())


def _dtype_name(dtype) -> str:
    """``float64`` for NumPy's, JAX's and mygrad's dtype, ``torch.float64`` and the like."""
    return str(dtype).rpartition(".")[2]


def check_calls(calls: Mapping[str, Callable], name: str) -> dict[str, Callable]:
    """``calls`` as a dict, after checking that every key names an op of the oracle."""
    unknown = sorted(set(calls) - set(OPS))
    if unknown:
        from oracle.targets import TargetLoadError

        raise TargetLoadError(
            f"{name}: the calls name unknown ops {unknown}; the ops are {', '.join(OPS)}"
        )
    return dict(calls)


# --- probing ---------------------------------------------------------------------------------


def probe_programs(op: str) -> list[tuple[Program, tuple[float, ...]]]:
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


def python_text(program: Program) -> str:
    """The one step as Python operators and methods: ``x0 * 2.0``, ``x0.exp()``."""
    return program.to_python().splitlines()[-1].strip().removeprefix("return ")


def call_text(program: Program) -> str:
    """The one step as a call of the adapter's function for it: ``mul(x0, 2.0)``."""
    [step] = program.steps
    operands = [repr(o.value) if isinstance(o, Const) else f"x{o}" for o in step.operands]
    return f"{step.op}({', '.join(operands)})"


# An attempt runs one probe program's forward pass on the engine: it raises if the engine
# cannot, or returns why the result is unusable (None: the op works).
Attempt = Callable[[Program, tuple[float, ...]], "str | None"]


def probe(
    attempt: Attempt,
    calls: Mapping[str, Callable] | None = None,
    text: Callable[[Program], str] = python_text,
) -> dict[str, str]:
    """Ops the engine cannot run, each with the reason (the first failure seen).

    With ``calls`` (an adapter's op -> function mapping), ops it has no function for are
    unsupported without being tried.
    """
    unsupported = {}
    for op in OPS:
        if calls is not None and op not in calls:
            unsupported[op] = f"the adapter has no function for {op}"
            continue
        for program, point in probe_programs(op):
            reason = _probe_once(attempt, program, point, text)
            if reason is not None:
                unsupported[op] = reason
                break
    return unsupported


def _probe_once(attempt: Attempt, program: Program, point, text) -> str | None:
    try:
        with time_limit(PROBE_SECONDS):
            reason = attempt(program, point)
    except (Exception, TargetTimeout) as error:
        return f"{text(program)} raises {type(error).__name__}: {error}"
    return None if reason is None else f"{text(program)} {reason}"


def require_arithmetic(name: str, unsupported: Mapping[str, str]) -> None:
    """Raise TargetLoadError if the engine lacks ``+``, ``-`` or ``*``: no program runs then."""
    missing = [op for op in REQUIRED_OPS if op in unsupported]
    if missing:
        from oracle.targets import TargetLoadError

        reasons = "; ".join(f"{op}: {unsupported[op]}" for op in missing)
        raise TargetLoadError(f"{name} lacks required arithmetic ({reasons})")


def supported(unsupported: Mapping[str, str]) -> tuple[str, ...]:
    """The ops not in ``unsupported``, in the op table's order."""
    return tuple(op for op in OPS if op not in unsupported)
