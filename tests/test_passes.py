"""The optimization passes: every rewrite exact, every rejected rewrite left alone, `changed`
honest, deep graphs without recursion, and random graphs optimized bit for bit.

Graphs are evaluated by the tiny reference evaluator below (a loop calling each op's
``forward``), so these tests judge the passes by the op table alone.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import math
import random
import struct
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refgrad import passes
from refgrad.graph import Graph, GraphBuilder, Node
from refgrad.ops import OPS
from refgrad.passes import cse, dce, fold, simplify
from refgrad.passes.pipeline import DEFAULT, SINGLE_SWEEP, optimize
from tests.floats import same_float
from tests.reference import evaluate

INF, NAN = math.inf, math.nan

SPECIAL = (
    0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -3.0, INF, -INF, NAN,
    1e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308, 710.0, -745.5,
)  # fmt: skip
"""Points where IEEE results differ from school algebra: zeros, infinities, nan, huge, tiny."""

CONSTANTS = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, INF, NAN)
"""Constants the random graphs use: the ones the rewrites look for, and the dangerous ones."""


# ---------------------------------------------------------------------------------------------
# The reference evaluator and comparisons.
# ---------------------------------------------------------------------------------------------


def same_outputs(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(same_float(x, y) for x, y in zip(a, b, strict=True))


def assert_equivalent(before: Graph, after: Graph, points: Sequence[Sequence[float]]) -> None:
    """``after`` verifies, has ``before``'s signature and computes its outputs at ``points``."""
    after.verify()
    assert [node.name for node in after.inputs] == [node.name for node in before.inputs]
    assert after.output_names == before.output_names
    for point in points:
        expected, got = evaluate(before, point), evaluate(after, point)
        assert same_outputs(expected, got), f"at {point}: {expected} became {got}\n{after}"


PAIRED = (0.0, -0.0, 1.0, -1.0, INF, -INF, NAN)


def grid(arity: int) -> list[tuple[float, ...]]:
    """Every combination of special values for ``arity`` inputs."""
    if arity == 1:
        return [(x,) for x in SPECIAL]
    return [(x, y) for x in SPECIAL for y in SPECIAL]


def build(expression: Callable, names: Sequence[str] = ("x", "y")) -> Graph:
    """A graph of one output, ``expression(ops, *inputs)``, built with the interning builder."""
    builder = GraphBuilder()
    inputs = [builder.input(name) for name in names]
    output = expression(builder.ops, *inputs)
    if isinstance(output, float):
        output = builder.constant(output)
    return builder.build([output]).verify()


def optimized(graph: Graph) -> Graph:
    return optimize(graph)[0]


# ---------------------------------------------------------------------------------------------
# Every rewrite: what it gives, and that it is exact at every pair of special values.
# ---------------------------------------------------------------------------------------------

REWRITE_CASES = [
    ("x * 1.0 -> x", lambda o, x, y: o.mul(x, 1.0), lambda o, x, y: x),
    ("1.0 * x -> x", lambda o, x, y: o.mul(1.0, x), lambda o, x, y: x),
    ("x * -1.0 -> -x", lambda o, x, y: o.mul(x, -1.0), lambda o, x, y: o.neg(x)),
    ("-1.0 * x -> -x", lambda o, x, y: o.mul(-1.0, x), lambda o, x, y: o.neg(x)),
    ("x / 1.0 -> x", lambda o, x, y: o.div(x, 1.0), lambda o, x, y: x),
    ("x / -1.0 -> -x", lambda o, x, y: o.div(x, -1.0), lambda o, x, y: o.neg(x)),
    ("x + -0.0 -> x", lambda o, x, y: o.add(x, -0.0), lambda o, x, y: x),
    ("-0.0 + x -> x", lambda o, x, y: o.add(-0.0, x), lambda o, x, y: x),
    ("x - 0.0 -> x", lambda o, x, y: o.sub(x, 0.0), lambda o, x, y: x),
    ("-0.0 - x -> -x", lambda o, x, y: o.sub(-0.0, x), lambda o, x, y: o.neg(x)),
    ("x - (-y) -> x + y", lambda o, x, y: o.sub(x, o.neg(y)), lambda o, x, y: o.add(x, y)),
    ("x + (-y) -> x - y", lambda o, x, y: o.add(x, o.neg(y)), lambda o, x, y: o.sub(x, y)),
    ("(-x) + y -> y - x", lambda o, x, y: o.add(o.neg(x), y), lambda o, x, y: o.sub(y, x)),
    ("-(-x) -> x", lambda o, x, y: o.neg(o.neg(x)), lambda o, x, y: x),
    ("x ** 1.0 -> x", lambda o, x, y: o.pow(x, 1.0), lambda o, x, y: x),
    ("x ** ±0.0 -> 1.0", lambda o, x, y: o.pow(x, 0.0), lambda o, x, y: 1.0),
    ("x ** ±0.0 -> 1.0", lambda o, x, y: o.pow(x, -0.0), lambda o, x, y: 1.0),
    ("1.0 ** y -> 1.0", lambda o, x, y: o.pow(1.0, y), lambda o, x, y: 1.0),
    ("abs(-x) -> abs(x)", lambda o, x, y: o.abs(o.neg(x)), lambda o, x, y: o.abs(x)),
    ("abs(abs(x)) -> abs(x)", lambda o, x, y: o.abs(o.abs(x)), lambda o, x, y: o.abs(x)),
    ("relu(relu(x)) -> relu(x)", lambda o, x, y: o.relu(o.relu(x)), lambda o, x, y: o.relu(x)),
    ("relu(abs(x)) -> abs(x)", lambda o, x, y: o.relu(o.abs(x)), lambda o, x, y: o.abs(x)),
    ("sign(sign(x)) -> sign(x)", lambda o, x, y: o.sign(o.sign(x)), lambda o, x, y: o.sign(x)),
    ("zero_where(±0.0, a) -> a", lambda o, x, y: o.zero_where(0.0, x), lambda o, x, y: x),
    ("zero_where(±0.0, a) -> a", lambda o, x, y: o.zero_where(-0.0, x), lambda o, x, y: x),
    ("zero_where(c, a) -> 0.0", lambda o, x, y: o.zero_where(1.0, x), lambda o, x, y: 0.0),
    ("zero_where(c, a) -> 0.0", lambda o, x, y: o.zero_where(NAN, x), lambda o, x, y: 0.0),
    ("zero_where(c, a) -> 0.0", lambda o, x, y: o.zero_where(-INF, x), lambda o, x, y: 0.0),
    ("zero_where(c, 0.0) -> 0.0", lambda o, x, y: o.zero_where(y, 0.0), lambda o, x, y: 0.0),
    (
        "zero_where(c, zero_where(c, a)) -> zero_where(c, a)",
        lambda o, x, y: o.zero_where(y, o.zero_where(y, x)),
        lambda o, x, y: o.zero_where(y, x),
    ),
    *(
        (f"x {symbol} nan, nan {symbol} x -> {result}", expression, lambda o, x, y, r=result: r)
        for name, (symbol, result) in simplify._COMPARISONS.items()
        if name in OPS
        for expression in (
            lambda o, x, y, name=name: getattr(o, name)(x, NAN),
            lambda o, x, y, name=name: getattr(o, name)(NAN, x),
        )
    ),
    *(
        (f"x {symbol} x -> 0.0", lambda o, x, y, name=name: getattr(o, name)(x, x), lambda *_: 0.0)
        for name, symbol in (("lt", "<"), ("gt", ">"))
        if name in OPS
    ),
    # Rewrites that feed each other within one sweep.
    ("-(-x) -> x", lambda o, x, y: o.neg(o.mul(x, -1.0)), lambda o, x, y: x),
    ("x - (-y) -> x + y", lambda o, x, y: o.sub(x, o.mul(-1.0, y)), lambda o, x, y: o.add(x, y)),
    ("abs(abs(x)) -> abs(x)", lambda o, x, y: o.abs(o.neg(o.abs(x))), lambda o, x, y: o.abs(x)),
]


@pytest.mark.parametrize(
    ("pattern", "before", "after"),
    REWRITE_CASES,
    ids=[f"{case[0]} #{number}" for number, case in enumerate(REWRITE_CASES)],
)
def test_each_rewrite_gives_the_expected_graph_and_is_exact(pattern, before, after):
    graph = build(before)
    outcome = simplify.run(graph)
    assert outcome.changed and pattern in outcome.details
    assert_equivalent(graph, outcome.graph, grid(2))
    expected = build(after)
    assert str(optimized(graph)) == str(dce.run(expected).graph)


def test_every_rewrite_in_the_table_is_tested_and_documented():
    patterns = [rewrite.pattern for rewrite in simplify.REWRITES]
    assert len(set(patterns)) == len(patterns)
    assert set(patterns) == {case[0] for case in REWRITE_CASES}
    documented = " ".join(simplify.__doc__.split())  # the table aligns with extra spaces
    for pattern in patterns:
        assert pattern in documented, f"document {pattern!r} in simplify's table"


def test_rewrites_that_claim_to_need_a_constant_never_match_without_one():
    # simplify skips those rows on nodes without a constant operand: check every claim on
    # operands of every shape but a constant (inputs, each op over inputs, the same node).
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    shapes = [x, y] + [builder.apply(op, *(x, y)[: op.arity]) for op in OPS.values()]
    shapes.append(builder.apply(OPS["zero_where"], x, builder.apply(OPS["zero_where"], x, y)))
    for rewrite in simplify.REWRITES:
        if not rewrite.needs_constant:
            continue
        arity = OPS[rewrite.op].arity
        for operands in itertools.product(shapes, repeat=arity):
            assert rewrite.apply(*operands) is None, (rewrite.pattern, operands)


def test_pow_by_one_returns_its_base_at_every_binade_boundary_and_random_bits():
    # x ** 1.0 -> x leans on libm: C99 does not promise pow(x, 1) = x for finite x.
    pow_ = OPS["pow"].forward
    bases = [math.ldexp(1.0, exponent) for exponent in range(-1074, 1024)]
    bases += [math.nextafter(base, INF) for base in bases] + [
        math.nextafter(base, 0.0) for base in bases
    ]
    numbers = random.Random(0)
    bases += [struct.unpack("<d", numbers.randbytes(8))[0] for _ in range(100_000)]
    bases += [-base for base in bases] + list(SPECIAL)
    assert all(same_float(pow_(base, 1.0), base) for base in bases)


# ---------------------------------------------------------------------------------------------
# Rejected rewrites: the graph keeps its ops, and the IEEE result that forbids the rewrite.
# ---------------------------------------------------------------------------------------------

# Where libm's pow, not correctly rounded, differs from the correctly rounded * and / by an ulp.
SQUARED = float.fromhex("0x1.83e0b101c793ep-34")
POW_SQUARED = float.fromhex("0x1.25d88e30cf74ep-67")  # x * x is ...74fp-67
INVERTED = float.fromhex("0x1.a14c1b89b872dp+0")
POW_INVERTED = float.fromhex("0x1.3a18efebd81ccp-1")  # 1.0 / x is ...1cbp-1

REJECTED_CASES = [
    ("x * 0.0 -> 0.0", lambda o, x, y: o.mul(x, 0.0), [((INF, 0.0), NAN), ((-1.0, 0.0), -0.0)]),
    ("0.0 * x -> 0.0", lambda o, x, y: o.mul(0.0, x), [((NAN, 0.0), NAN), ((-INF, 0.0), NAN)]),
    ("x + 0.0 -> x", lambda o, x, y: o.add(x, 0.0), [((-0.0, 0.0), 0.0)]),
    ("0.0 + x -> x", lambda o, x, y: o.add(0.0, x), [((-0.0, 0.0), 0.0)]),
    ("x - -0.0 -> x", lambda o, x, y: o.sub(x, -0.0), [((-0.0, 0.0), 0.0)]),
    ("0.0 - x -> -x", lambda o, x, y: o.sub(0.0, x), [((0.0, 0.0), 0.0)]),
    ("-(x - y) -> y - x", lambda o, x, y: o.neg(o.sub(x, y)), [((1.0, 1.0), -0.0)]),
    ("x - x -> 0.0", lambda o, x, y: o.sub(x, x), [((NAN, 0.0), NAN), ((INF, 0.0), NAN)]),
    ("x / x -> 1.0", lambda o, x, y: o.div(x, x), [((0.0, 0.0), NAN), ((-INF, 0.0), NAN)]),
    ("(x + y) - y -> x", lambda o, x, y: o.sub(o.add(x, y), y), [((1.0, 1e16), 0.0)]),
    ("x ** 2.0 -> x * x", lambda o, x, y: o.pow(x, 2.0), [((SQUARED, 0.0), POW_SQUARED)]),
    ("x ** -1.0 -> 1 / x", lambda o, x, y: o.pow(x, -1.0), [((INVERTED, 0.0), POW_INVERTED)]),
    ("x ** 0.5 -> sqrt(x)", lambda o, x, y: o.pow(x, 0.5), [((-0.0, 0.0), 0.0), ((-INF, 0), INF)]),
    ("sqrt(x * x) -> abs(x)", lambda o, x, y: o.sqrt(o.mul(x, x)), [((1e200, 0.0), INF)]),
    ("exp(log(x)) -> x", lambda o, x, y: o.exp(o.log(x)), [((3.0, 0.0), 3.0000000000000004)]),
    ("log(exp(x)) -> x", lambda o, x, y: o.log(o.exp(x)), [((1000.0, 0.0), INF)]),
    ("sign(-x) -> -sign(x)", lambda o, x, y: o.sign(o.neg(x)), [((0.0, 0.0), 0.0)]),
    ("abs(relu(x)) -> relu(x)", lambda o, x, y: o.abs(o.relu(x)), [((-0.0, 0.0), 0.0)]),
    ("x == x -> 1.0", lambda o, x, y: o.eq(x, x), [((NAN, 0.0), 0.0)]),
    ("x <= x -> 1.0", lambda o, x, y: o.le(x, x), [((NAN, 0.0), 0.0)]),
    ("x >= x -> 1.0", lambda o, x, y: o.ge(x, x), [((NAN, 0.0), 0.0)]),
    ("x <= inf -> 1.0", lambda o, x, y: o.le(x, INF), [((NAN, 0.0), 0.0)]),
    *(
        [("x != x -> 0.0", lambda o, x, y: o.ne(x, x), [((NAN, 0.0), 1.0)])]
        if "ne" in OPS  # the comparison ops beyond eq, le and ge are new in the table
        else []
    ),
    ("zero_where(c, -0.0) -> -0.0", lambda o, x, y: o.zero_where(y, -0.0), [((0.0, 1.0), 0.0)]),
    ("zero_where(x, x) -> 0.0", lambda o, x, y: o.zero_where(x, x), [((-0.0, 0.0), -0.0)]),
    ("zero_where(x, x) -> x", lambda o, x, y: o.zero_where(x, x), [((2.0, 0.0), 0.0)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rejected", "expression", "examples"), REJECTED_CASES, ids=[c[0] for c in REJECTED_CASES]
)
def test_rejected_rewrites_are_not_applied(rejected, expression, examples):
    graph = build(expression)
    result = optimized(graph)
    assert result.op_count == graph.op_count, f"{rejected} was applied:\n{result}"
    for point, expected in examples:
        assert same_float(evaluate(result, point)[0], expected), (point, evaluate(result, point))
    assert_equivalent(graph, result, grid(2))


# ---------------------------------------------------------------------------------------------
# Every small expression: each op on every pair of operands from x, y, the constants and every
# unary op of x. It catches any wrong local rewrite deterministically, which random graphs
# (below) only do by luck; the random graphs catch the interplay of passes on bigger graphs.
# ---------------------------------------------------------------------------------------------

UNARY = [op for op in OPS.values() if op.arity == 1]
BINARY = [op for op in OPS.values() if op.arity == 2]
SMALL_X = (*PAIRED, 2.0, 1e308, 5e-324, SQUARED, INVERTED)  # the last two: where pow rounds
SMALL_POINTS = [(x, y) for x in SMALL_X for y in (*PAIRED, 2.0, -3.0)]


def operand_makers() -> list[Callable]:
    """Ways to make an operand from (builder, x, y): x, y, each constant, each unary op of x."""
    makers = [lambda b, x, y: x, lambda b, x, y: y]
    makers += [lambda b, x, y, c=c: c for c in CONSTANTS]
    makers += [lambda b, x, y, op=op: b.apply(op, x) for op in UNARY]
    return makers


def small_graphs() -> list[Graph]:
    makers = operand_makers()
    inner = makers + [lambda b, x, y, op=op: b.apply(op, x, y) for op in BINARY]
    shapes = [(op, (first,)) for op in UNARY for first in inner]
    shapes += [(op, (first, second)) for op in BINARY for first in makers for second in makers]
    graphs = []
    for op, operands in shapes:
        builder = GraphBuilder()
        x, y = builder.input("x"), builder.input("y")
        graphs.append(
            builder.build([builder.apply(op, *(make(builder, x, y) for make in operands))])
        )
    return graphs


def test_every_small_expression_optimizes_exactly():
    rewritten = 0
    for graph in small_graphs():
        result = optimized(graph)
        if result is not graph and str(result) != str(graph):
            rewritten += 1
            assert_equivalent(graph, result, SMALL_POINTS)
    assert rewritten > 100  # the rewrites and folding did find work


# ---------------------------------------------------------------------------------------------
# Constant folding.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda o: o.div(1.0, 0.0), INF),  # Python would raise ZeroDivisionError
        (lambda o: o.div(-1.0, 0.0), -INF),
        (lambda o: o.div(0.0, 0.0), NAN),
        (lambda o: o.log(0.0), -INF),  # Python raises ValueError
        (lambda o: o.sqrt(-0.0), -0.0),
        (lambda o: o.sqrt(-1.0), NAN),
        (lambda o: o.exp(1000.0), INF),  # Python raises OverflowError
        (lambda o: o.pow(0.0, -1.0), INF),
        (lambda o: o.sub(INF, INF), NAN),
        (lambda o: o.sin(INF), NAN),
        (lambda o: o.relu(-0.0), -0.0),
        (lambda o: o.zero_where(NAN, INF), 0.0),
        (lambda o: o.add(o.mul(2.0, 3.0), o.neg(0.0)), 6.0),  # a whole subgraph in one run
    ],
)
def test_fold_computes_with_the_op_tables_ieee_forward(expression, expected):
    graph = build(lambda o, x: expression(o), names=("x",))
    outcome = fold.run(graph)
    assert outcome.changed
    (output,) = outcome.graph.verify().outputs
    assert output.is_constant and same_float(output.value, expected)


def test_fold_leaves_ops_on_inputs_and_impure_ops_alone():
    graph = build(lambda o, x, y: o.mul(o.sin(x), y))
    outcome = fold.run(graph)
    assert outcome == passes.PassResult(
        graph, False, "folded 0 op nodes into constants, 4 -> 4 nodes"
    )
    # An impure op (none is in the table yet) must not fold even on constants.
    builder = GraphBuilder()
    builder.input("x")
    impure = dataclasses.replace(OPS["sin"], pure=False)
    graph = builder.build([builder.apply(impure, 1.0)])
    assert not fold.run(graph).changed


# ---------------------------------------------------------------------------------------------
# CSE and DCE.
# ---------------------------------------------------------------------------------------------


def hand_made_duplicates() -> Graph:
    """``x * 2.0 + x * 2.0`` with its constant written twice: well formed, but not interned."""
    x = Node(0, None, name="x")
    two, two_again = Node(1, None, value=2.0), Node(2, None, value=2.0)
    left, right = Node(3, OPS["mul"], (x, two)), Node(4, OPS["mul"], (x, two_again))
    total = Node(5, OPS["add"], (left, right))
    return Graph([x, two, two_again, left, right, total], (x,), (total,)).verify()


def test_cse_merges_nodes_that_compute_the_same_thing():
    graph = hand_made_duplicates()
    outcome = cse.run(graph)
    assert outcome.changed and outcome.details == "merged 2 duplicate nodes"
    assert str(outcome.graph) == str(
        build(lambda o, x: o.add(o.mul(x, 2.0), o.mul(x, 2.0)), ("x",))
    )
    assert_equivalent(graph, outcome.graph, grid(1))


def test_cse_does_not_reorder_operands():
    # x + y and y + x differ in which nan payload they return when both are nan.
    graph = build(lambda o, x, y: o.mul(o.add(x, y), o.add(y, x)))
    assert not cse.run(graph).changed


def test_dce_keeps_every_input_in_order_and_drops_the_rest():
    builder = GraphBuilder()
    a, _, c = builder.input("a"), builder.input("b"), builder.input("c")
    builder.ops.exp(builder.ops.mul(a, 3.0))  # dead, with its constant
    graph = builder.build([builder.ops.sin(c)], output_names=["out"])
    outcome = dce.run(graph)
    assert outcome.changed and outcome.details == "removed 3 dead nodes"
    assert [node.name for node in outcome.graph.inputs] == ["a", "b", "c"]
    assert outcome.graph.output_names == ("out",)
    assert len(outcome.graph.nodes) == 4
    assert_equivalent(graph, outcome.graph, [(1.0, 2.0, 3.0), (NAN, INF, -0.0)])


def test_dce_keeps_outputs_that_are_inputs_or_constants():
    builder = GraphBuilder()
    x = builder.input("x")
    builder.ops.sin(x)
    graph = builder.build([x, builder.constant(-0.0), x])
    outcome = dce.run(graph)
    assert str(outcome.graph) == "def graph(x):\n    return x, -0.0, x"
    assert_equivalent(graph, outcome.graph, grid(1))


@pytest.mark.slow
def test_dce_on_a_million_node_chain_has_no_recursion():
    gc.disable()  # building a million nodes with the collector on takes three times as long
    try:
        sin = OPS["sin"]
        nodes = [Node(0, None, name="x")]
        for index in range(1, 1_000_000):
            nodes.append(Node(index, sin, (nodes[-1],)))
        graph = Graph(nodes, (nodes[0],), (nodes[500_000],))
        outcome = dce.run(graph)
        assert outcome.changed and outcome.details == "removed 499999 dead nodes"
        assert len(outcome.graph.verify().nodes) == 500_001
        assert outcome.graph.outputs[0].index == 500_000
        assert not dce.run(outcome.graph).changed
        del graph, nodes, outcome  # freed while the collector is off: no full scan of them
    finally:
        gc.enable()


def test_the_pipeline_on_a_deep_chain_has_no_recursion():
    builder = GraphBuilder()
    x = builder.input("x")
    node = x
    for step in range(30_000):  # thirty times deeper than Python's recursion limit
        node = builder.ops.neg(node) if step % 2 else builder.ops.mul(node, -1.0)
    graph = builder.build([builder.ops.sin(node)])
    result, report = optimize(graph)
    assert str(result) == "def graph(x):\n    v1 = x.sin()\n    return v1"
    assert report[-1].nodes_after == 2


# ---------------------------------------------------------------------------------------------
# `changed` is honest, and the pipeline reaches a fixed point.
# ---------------------------------------------------------------------------------------------


def already_optimal() -> Graph:
    return build(lambda o, x, y: o.add(o.mul(o.sin(x), y), o.zero_where(o.le(x, 0.0), 2.0)))


@pytest.mark.parametrize("step", DEFAULT, ids=[step.name for step in DEFAULT])
def test_no_pass_changes_an_already_optimal_graph(step):
    graph = already_optimal()
    outcome = step.run(graph)
    assert not outcome.changed and outcome.graph is graph


def test_every_pass_reports_a_change_it_made():
    assert simplify.run(build(lambda o, x, y: o.mul(x, 1.0))).changed
    assert fold.run(build(lambda o, x, y: o.mul(x, o.add(1.0, 2.0)))).changed
    assert cse.run(hand_made_duplicates()).changed
    builder = GraphBuilder()
    x = builder.input("x")
    builder.ops.cos(x)
    assert dce.run(builder.build([x])).changed


def test_the_pipeline_reports_every_pass_run_and_stops_at_a_fixed_point():
    # Folding makes the 1.0 that simplification needs, so it takes a second round.
    graph = build(lambda o, x, y: o.add(o.mul(x, o.add(0.5, 0.5)), y))
    result, report = optimize(graph)
    assert str(result) == str(build(lambda o, x, y: o.add(x, y)))
    names = [step.name for step in report]
    assert names == ["simplify", "fold", "cse", "dce"] * (len(report) // 4)
    assert len(report) == 12 and not any(step.changed for step in report[-4:])
    assert report[0] == ("simplify", False, len(graph.nodes), len(graph.nodes))
    for previous, step in itertools.pairwise(report):
        assert step.nodes_before == previous.nodes_after
    _, again = optimize(result)
    assert len(again) == 4 and not any(step.changed for step in again)


def test_the_pipeline_gives_up_after_max_rounds():
    graph = build(lambda o, x, y: o.add(o.mul(x, o.add(0.5, 0.5)), y))
    _, report = optimize(graph, max_rounds=1)
    assert len(report) == 4


def test_the_pipeline_rejects_a_malformed_graph():
    x = Node(0, None, name="x")
    with pytest.raises(ValueError, match="not defined before"):
        optimize(Graph([x, Node(1, OPS["sin"], (Node(5, None, value=1.0),))], (x,), (x,)))


# ---------------------------------------------------------------------------------------------
# Property: random graphs, every pass alone and the pipeline, bit for bit at special points.
# ---------------------------------------------------------------------------------------------


class FreshConstants(GraphBuilder):
    """A builder that makes a new node for every constant use, leaving work for CSE."""

    def constant(self, number: float) -> Node:
        node = Node(len(self.nodes), None, value=float(number))
        self.nodes.append(node)
        return node


OPERAND = st.one_of(
    st.integers(0, 5), st.integers(-3, -1), st.integers(0, 5), st.sampled_from(CONSTANTS)
)
"""An operand: an offset back from the newest node (0 is the newest), an input (-1 the first,
-2 the second, ...) or a constant, so that rewrite patterns often land right on an input."""

POINT_VALUE = st.one_of(st.sampled_from(SPECIAL), st.sampled_from(SPECIAL), st.floats())


def operand_node(handles: list, arity: int, operand: int | float) -> Node | float:
    if isinstance(operand, float):
        return operand
    if operand < 0:
        return handles[(-1 - operand) % arity]
    return handles[-1 - operand % len(handles)]


@st.composite
def graphs_and_points(draw) -> tuple[Graph, list[tuple[float, ...]]]:
    """A random graph from a random op sequence, and the points to evaluate it at.

    Half the graphs return every node they built, so that no wrong intermediate result can
    hide behind a later nan or relu; the others return a few nodes, leaving dead code. The
    points are every special value on the diagonal (all inputs equal, which is where ``x - x``
    and ``x == x`` show what they are) and a few drawn points, mostly specials.
    """
    builder = FreshConstants() if draw(st.booleans()) else GraphBuilder()
    arity = draw(st.integers(1, 3))
    handles = [builder.input(f"x{i}") for i in range(arity)]
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(list(OPS.values())), OPERAND, OPERAND),
            min_size=4,
            max_size=32,
        )
    )
    for op, *operands in steps:
        chosen = [operand_node(handles, arity, operand) for operand in operands[: op.arity]]
        handles.append(builder.apply(op, *chosen))
    if draw(st.booleans()):
        outputs = handles
    else:
        offsets = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))
        outputs = [handles[-1 - offset % len(handles)] for offset in offsets]
    graph = builder.build(outputs).verify()
    points = [(value,) * arity for value in SPECIAL]
    points += draw(st.lists(st.tuples(*[POINT_VALUE] * arity), min_size=1, max_size=8))
    return graph, points


@pytest.mark.parametrize("step", DEFAULT, ids=[step.name for step in DEFAULT])
@given(case=graphs_and_points())
def test_each_pass_alone_keeps_every_output_bit_for_bit(step, case):
    graph, points = case
    text = str(graph)
    outcome = step.run(graph)
    assert outcome.changed or outcome.graph is graph
    assert_equivalent(graph, outcome.graph, points)
    assert str(graph) == text, "a pass must not mutate its input"


@given(case=graphs_and_points())
def test_the_pipeline_keeps_every_output_bit_for_bit_and_reaches_a_fixed_point(case):
    graph, points = case
    result, report = optimize(graph)
    assert_equivalent(graph, result, points)
    assert not any(step.changed for step in report[-len(DEFAULT) :])
    assert result.op_count <= graph.op_count
    for step in DEFAULT:
        assert not step.run(result).changed, f"{step.name} still finds work:\n{result}"


@given(case=graphs_and_points())
def test_one_sweep_of_simplify_with_folding_reaches_the_pipelines_fixed_point(case):
    graph, points = case
    swept, report = optimize(graph, SINGLE_SWEEP, max_rounds=1)
    assert len(report) == len(SINGLE_SWEEP)
    assert_equivalent(graph, swept, points)
    for step in DEFAULT:
        assert not step.run(swept).changed, f"{step.name} still finds work:\n{swept}"
