"""Derivative rules specialised to floats: Python functions generated from the op table.

A rule in :mod:`refgrad.ops` is written against an op namespace ``F`` so that one rule serves
floats, Values and graph nodes. On floats that generality costs a Python call per op inside
the rule. Here each rule is run once on *symbols* (an op namespace whose ops build Python
expression text), and the text is compiled into a plain function: ``mul``'s rule for its
first operand becomes ``lambda g, x, y, out: (g * y)``. Nothing is derived by hand, so the
specialised functions cannot drift from the table; ``tests/test_specialize.py`` checks that
they agree with the rules evaluated through ``ops.FLOATS``, bit for bit.

First-order ``Value.backward`` runs these; ``create_graph=True`` runs the rules on Values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from refgrad.ops import OPS, Op, OpNamespace

_OPERAND_NAMES = ("x", "y", "z")


def float_expression(op: Op, *operands: object) -> str:
    """Python source computing ``op.forward(*operands)`` on floats.

    Operands are source text (names or expressions) or numbers.
    """
    texts = [_source(operand) for operand in operands]
    if op.float_syntax is not None:
        return "(" + op.float_syntax.format(*texts) + ")"
    return f"{forward_name(op)}({', '.join(texts)})"


def forward_name(op: Op) -> str:
    """The name generated code uses for ``op.forward``."""
    return f"_{op.name}"


def _source(operand: object) -> str:
    if isinstance(operand, str):
        return operand
    # A number written by a rule (0.0, 1.0, 2.0): repr round-trips every float exactly.
    return repr(float(operand))


SYMBOLS = OpNamespace(float_expression)
"""The op namespace over source text: running a rule here writes its float code."""


@dataclass(frozen=True)
class FloatRules:
    """An op's backward on floats: per operand, ``rule(g, *operands, out) -> contribution``.

    ``both`` gives a binary op's two contributions in one call, for the common case where
    both operands need a gradient.
    """

    per_operand: tuple[Callable[..., float] | None, ...]
    both: Callable[..., tuple[float, float]] | None
    source: str


def specialize(op: Op) -> FloatRules:
    """Generate and compile the float functions of ``op``'s derivative rules."""
    parameters = ", ".join(("g", *_OPERAND_NAMES[: op.arity], "out"))
    operands = _OPERAND_NAMES[: op.arity]
    bodies = [None if rule is None else rule(SYMBOLS, "g", *operands, "out") for rule in op.vjp]
    lines = []
    for index, body in enumerate(bodies):
        if body is not None:
            lines.append(f"def rule_{index}({parameters}):\n    return {body}\n")
    if op.arity == 2 and None not in bodies:
        lines.append(f"def both({parameters}):\n    return {bodies[0]}, {bodies[1]}\n")
    source = "\n".join(lines)
    namespace = {forward_name(other): other.forward for other in OPS.values()}
    exec(compile(source, f"<refgrad float rules for {op.name}>", "exec"), namespace)
    per_operand = tuple(
        None if body is None else namespace[f"rule_{index}"] for index, body in enumerate(bodies)
    )
    return FloatRules(per_operand, namespace.get("both"), source)


FLOAT_RULES: dict[Op, FloatRules] = {op: specialize(op) for op in OPS.values() if op.differentiable}
"""Every differentiable op's float backward, generated once at import (about a millisecond)."""
