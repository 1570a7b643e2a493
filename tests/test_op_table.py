"""The op table's own invariants, and the float-specialised rules generated from it."""

from __future__ import annotations

import itertools
import math
import re
import struct

import pytest

from refgrad import ops
from refgrad.specialize import FLOAT_RULES, specialize
from refgrad.value import VALUES, Value
from tests.floats import same_float

SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, math.inf, -math.inf, math.nan, 1e308, 5e-324)


def test_the_public_ops_are_the_ones_the_issue_names():
    names = {op.name for op in ops.PUBLIC_OPS}
    assert names == {
        "add", "sub", "mul", "div", "neg", "pow",
        "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs",
    }  # fmt: skip
    assert set(ops.UNARY_METHODS) == {
        "relu", "tanh", "exp", "log", "sigmoid", "sin", "cos", "sqrt", "abs"
    }  # fmt: skip


@pytest.mark.parametrize("op", ops.OPS.values(), ids=lambda op: op.name)
def test_every_row_is_complete(op):
    # Value stores at most two operands; every differentiable op has one rule per operand.
    assert op.arity in (1, 2)
    assert op.pure
    if op.differentiable:
        assert len(op.vjp) == op.arity
    else:
        assert op.vjp == ()
    assert op.syntax.count("{") == op.arity
    # (float_syntax may write an operand twice: relu is "(0.0 if {0} < 0.0 else {0})")
    assert op.float_syntax is None or len(set(re.findall(r"\{\d\}", op.float_syntax))) == op.arity


@pytest.mark.parametrize(
    "op", [op for op in ops.OPS.values() if op.fast_forward], ids=lambda op: op.name
)
def test_fast_forward_is_forward_or_raises(op):
    # Compiled code runs fast_forward and reruns with forward when it raises (codegen.py).
    for operands in itertools.product(SPECIAL, repeat=op.arity):
        try:
            fast = op.fast_forward(*operands)
        except (ArithmeticError, ValueError):
            continue
        expected = op.forward(*operands)
        assert struct.pack("<d", fast) == struct.pack("<d", expected), operands  # bit for bit


@pytest.mark.parametrize("name", ["div", "pow", "log", "sqrt", "relu", "abs"])
def test_non_smooth_ops_document_their_kinks_and_domain(name):
    op = ops.OPS[name]
    assert op.kinks, f"{name} has points where it is not differentiable: write them down"
    assert op.domain != "all reals"


def test_smooth_predicates_exclude_the_kinks():
    assert not ops.OPS["relu"].smooth(0.0) and ops.OPS["relu"].smooth(-1.0)
    assert not ops.OPS["log"].smooth(0.0) and not ops.OPS["log"].smooth(-1.0)
    assert not ops.OPS["div"].smooth(1.0, 0.0)
    assert ops.OPS["pow"].smooth(-2.0, 3.0) and not ops.OPS["pow"].smooth(-2.0, 0.5)
    assert not ops.OPS["pow"].smooth(0.0, 0.5) and ops.OPS["pow"].smooth(0.0, 2.0)
    assert ops.OPS["pow"].smooth(2.0, math.inf) is True  # x > 0: any exponent


@pytest.mark.parametrize("op", ops.OPS.values(), ids=lambda op: op.name)
def test_forward_never_raises_on_special_values(op):
    for operands in itertools.product(SPECIAL, repeat=op.arity):
        result = op.forward(*operands)
        assert type(result) is float, (op.name, operands, result)


# --- specialisation ----------------------------------------------------------------------


@pytest.mark.parametrize("op", list(FLOAT_RULES), ids=lambda op: op.name)
def test_specialised_rules_equal_the_rules_on_floats_bit_for_bit(op):
    rules = FLOAT_RULES[op]
    upstream = (1.0, -0.75, math.inf, math.nan)
    for operands in itertools.product(SPECIAL, repeat=op.arity):
        out = op.forward(*operands)
        for g in upstream:
            for rule, fast in zip(op.vjp, rules.per_operand, strict=True):
                if rule is None:
                    assert fast is None
                    continue
                expected = rule(ops.FLOATS, g, *operands, out)
                got = fast(g, *operands, out)
                assert same_float(got, expected), (op.name, operands, g, got, expected)
            if rules.both is not None:
                both = rules.both(g, *operands, out)
                singles = [fast(g, *operands, out) for fast in rules.per_operand]
                assert all(map(same_float, both, singles))


@pytest.mark.parametrize("op", list(FLOAT_RULES), ids=lambda op: op.name)
def test_rules_on_values_compute_the_same_floats(op):
    """create_graph's path (rules on Values) and backward's (on floats) agree exactly."""
    for operands in itertools.product(SPECIAL[:8], repeat=op.arity):
        out = op.forward(*operands)
        values = [Value(x) for x in operands]
        for rule in op.vjp:
            if rule is None:
                continue
            on_values = rule(VALUES, Value(-0.75), *values, Value(out))
            assert same_float(on_values.data, rule(ops.FLOATS, -0.75, *operands, out))


def test_specialised_source_is_readable_and_inlines_the_ieee_safe_operators():
    assert "(g * y)" in FLOAT_RULES[ops.OPS["mul"]].source
    assert "_div(g, y)" in FLOAT_RULES[ops.OPS["div"]].source  # division can hit a pole
    assert specialize(ops.OPS["add"]).both(2.0, 0.0, 0.0, 0.0) == (2.0, 2.0)
