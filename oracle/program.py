"""The oracle's program IR: a straight-line program of scalar ops, and how it prints.

A :class:`Program` has ``n_inputs`` inputs (values ``0 .. n_inputs-1``) followed by one value
per :class:`Step`; each step applies an op of :mod:`oracle.ops` to earlier values and, for
binary ops, possibly one :class:`Const`. The last value is the output, differentiated with
respect to every input. This IR is the oracle's own, independent of refgrad's graph, so a bug
in refgrad cannot hide inside the harness.

A program prints as runnable Python that reads like what a person would write::

    def f(x0, x1):
        v2 = x0 * x1
        return (v2 * v2).tanh() + 2.0 / v2

Values used once are written inline; values used more than once, or that would nest too deep
to read, get a name. The same text runs on any value-protocol engine (micrograd-style classes,
torch tensors), which is what makes a counterexample a repro.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oracle.ops import OPS, PYTHON_CALLS


class ProgramError(ValueError):
    """A program is not well formed (unknown op, bad operand, wrong arity)."""


@dataclass(frozen=True)
class Const:
    """A constant operand, such as the ``2.0`` in ``2.0 / v``."""

    value: float


Operand = int | Const  # an int is the index of an earlier value


@dataclass(frozen=True)
class Step:
    op: str
    operands: tuple[Operand, ...]


@dataclass(frozen=True)
class Program:
    n_inputs: int
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        _check(self)

    # --- shape ---------------------------------------------------------------------------

    @property
    def n_values(self) -> int:
        return self.n_inputs + len(self.steps)

    @property
    def output(self) -> int:
        return self.n_values - 1

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(step.op for step in self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def uses(self) -> list[int]:
        """How many times each value is read (``x * x`` reads ``x`` twice)."""
        counts = [0] * self.n_values
        for step in self.steps:
            for operand in step.operands:
                if isinstance(operand, int):
                    counts[operand] += 1
        return counts

    def depth(self) -> int:
        """The number of steps on the longest chain from an input to the output."""
        depths = [0] * self.n_inputs
        for step in self.steps:
            depths.append(1 + max(depths[o] for o in step.operands if isinstance(o, int)))
        return depths[-1]

    def inputs_reaching_output(self) -> set[int]:
        """The inputs the output depends on through some chain of steps."""
        reaching = {self.output}
        for position in range(len(self.steps) - 1, -1, -1):
            if self.n_inputs + position in reaching:
                reaching.update(o for o in self.steps[position].operands if isinstance(o, int))
        return {i for i in range(self.n_inputs) if i in reaching}

    # --- running -------------------------------------------------------------------------

    def evaluate(self, inputs: Sequence[Any], calls: Mapping[str, Callable] = PYTHON_CALLS):
        """Run on ``inputs`` with ``calls[op](*operands)``; return every value, inputs first.

        Constants are passed as Python floats in their position, so ``2.0 - v`` runs as
        ``calls["sub"](2.0, v)``. The default calls use Python operators and methods.
        """
        if len(inputs) != self.n_inputs:
            raise ProgramError(f"the program takes {self.n_inputs} inputs, got {len(inputs)}")
        values = list(inputs)
        for step in self.steps:
            arguments = [
                operand.value if isinstance(operand, Const) else values[operand]
                for operand in step.operands
            ]
            values.append(calls[step.op](*arguments))
        return values

    def run(self, inputs: Sequence[Any], calls: Mapping[str, Callable] = PYTHON_CALLS):
        """Run on ``inputs``; return the output value."""
        return self.evaluate(inputs, calls)[-1]

    # --- printing ------------------------------------------------------------------------

    def to_python(self, name: str = "f") -> str:
        return _PythonPrinter(self).function(name)

    def __str__(self) -> str:
        return self.to_python()

    def input_names(self) -> list[str]:
        return [f"x{index}" for index in range(self.n_inputs)]

    # --- serialization -------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "n_inputs": self.n_inputs,
            "steps": [
                [
                    step.op,
                    [{"const": o.value} if isinstance(o, Const) else o for o in step.operands],
                ]
                for step in self.steps
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping | str) -> Program:
        if isinstance(data, str):
            data = json.loads(data)
        steps = tuple(
            Step(op, tuple(Const(o["const"]) if isinstance(o, dict) else o for o in operands))
            for op, operands in data["steps"]
        )
        return cls(data["n_inputs"], steps)


def abridge(source: str, most_lines: int) -> str:
    """``source`` with its middle elided if it has more than ``most_lines`` lines (the long
    chains of the deep family print their first and last lines)."""
    lines = source.splitlines()
    if len(lines) <= most_lines:
        return source
    half = most_lines // 2
    elided = f"    # ... {len(lines) - 2 * half} more lines of the same kind ..."
    return "\n".join([*lines[:half], elided, *lines[-half:]])


def _check(program: Program) -> None:
    if not isinstance(program.n_inputs, int) or program.n_inputs < 1:
        raise ProgramError(f"a program needs at least one input, got {program.n_inputs!r}")
    for position, step in enumerate(program.steps):
        index = program.n_inputs + position
        spec = OPS.get(step.op)
        if spec is None:
            raise ProgramError(f"step v{index}: unknown op {step.op!r}")
        if len(step.operands) != spec.arity:
            raise ProgramError(
                f"step v{index}: {step.op} takes {spec.arity} operands, got {len(step.operands)}"
            )
        references = [o for o in step.operands if not isinstance(o, Const)]
        if not references:
            raise ProgramError(f"step v{index}: {step.op} has only constant operands")
        for operand in references:
            if not isinstance(operand, int) or not 0 <= operand < index:
                raise ProgramError(f"step v{index}: operand {operand!r} is not an earlier value")
        if step.op == "pow" and not (
            isinstance(step.operands[0], int) and isinstance(step.operands[1], Const)
        ):
            raise ProgramError(f"step v{index}: pow takes a value base and a constant exponent")


# ---------------------------------------------------------------------------------------------
# Printing with Python's precedence rules.
# ---------------------------------------------------------------------------------------------

_ATOM = 16
_POWER = 14
_UNARY = 13
_INFIX_PRECEDENCE = {"+": 11, "-": 11, "*": 12, "/": 12, "**": _POWER}
_MAX_INLINE_DEPTH = 3  # deeper expressions get a name, so every line stays readable


@dataclass(frozen=True)
class _Text:
    code: str
    precedence: int
    depth: int  # how many ops are nested in this text
    simple: bool  # a name or a number: ruff writes ``x**2`` around such operands


class _PythonPrinter:
    def __init__(self, program: Program):
        self.program = program
        self.uses = program.uses()
        self.texts: dict[int, _Text] = {
            index: _Text(name, _ATOM, 0, True) for index, name in enumerate(program.input_names())
        }

    def function(self, name: str) -> str:
        program = self.program
        lines = [f"def {name}({', '.join(program.input_names())}):"]
        for position, step in enumerate(program.steps):
            index = program.n_inputs + position
            text = self.expression(step)
            inline = self.uses[index] == 1 and text.depth <= _MAX_INLINE_DEPTH
            if index == program.output or not inline:
                if index == program.output:
                    lines.append(f"    return {text.code}")
                    break
                lines.append(f"    v{index} = {text.code}")
                text = _Text(f"v{index}", _ATOM, 0, True)
            self.texts[index] = text
        else:  # no steps: the output is the last input
            lines.append(f"    return x{program.output}")
        return "\n".join(lines)

    def operand(self, operand: Operand) -> _Text:
        if isinstance(operand, Const):
            code = repr(float(operand.value))
            negative = code.startswith("-")
            return _Text(code, _UNARY if negative else _ATOM, 0, True)
        return self.texts[operand]

    def expression(self, step: Step) -> _Text:
        spec = OPS[step.op]
        parts = [self.operand(o) for o in step.operands]
        depth = 1 + max(part.depth for part in parts)
        if spec.infix is not None:
            left, right = parts
            precedence = _INFIX_PRECEDENCE[spec.infix]
            if spec.infix == "**":
                left_code = _wrap(left, left.precedence <= precedence)
                right_code = _wrap(right, right.precedence < _UNARY)
                spaced = not (left.simple and right.simple)
                operator = " ** " if spaced else "**"
                return _Text(f"{left_code}{operator}{right_code}", precedence, depth, False)
            left_code = _wrap(left, left.precedence < precedence)
            right_code = _wrap(right, right.precedence <= precedence)
            return _Text(f"{left_code} {spec.infix} {right_code}", precedence, depth, False)
        (part,) = parts
        if spec.prefix is not None:
            return _Text(
                f"{spec.prefix}{_wrap(part, part.precedence < _UNARY)}", _UNARY, depth, False
            )
        if spec.builtin is not None:
            return _Text(f"{spec.builtin}({part.code})", _ATOM, depth, False)
        return _Text(f"{_wrap(part, part.precedence < _ATOM)}.{spec.method}()", _ATOM, depth, False)


def _wrap(text: _Text, parenthesize: bool) -> str:
    return f"({text.code})" if parenthesize else text.code
