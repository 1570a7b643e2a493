"""Code generation (refgrad.codegen) and memory planning (refgrad.memory).

The generated code must compute exactly what evaluating the graph node by node with each op's
``forward`` computes: bit for bit, nan payloads and signed zeros included. A tiny reference
evaluator below is the judge; random graphs (every op in the table, shared nodes, the constants
0.0, -0.0, 1.0, inf and nan) are run at random points that include the IEEE specials.

Generated source is meant to be read. For the graph built by ``example_graph()`` below,
``python_source`` writes (``test_generated_source_reads_well`` checks this text)::

    def compiled(x, y):
        s0 = x * y
        s1 = _div(_exp(s0) + x, y)
        s1 = (0.0 if s1 <= 0.0 else _sigmoid(-s1))
        return (s1, s0)

and ``numpy_source`` writes::

    def compiled(x, y):
        s0 = x * y
        s1 = np.divide(np.exp(s0) + x, y)
        s1 = np.where(np.where(s1 <= 0.0, 1.0, 0.0) != 0.0, 0.0, 1.0 / (1.0 + np.exp(-(-s1))))
        return (s1, s0)

NumPy against the scalar forward functions, op by op (``test_numpy_ops_match_the_scalar_
forward``), measured on the development machine (x86-64 with AVX2, no AVX-512; NumPy 2.4.6;
glibc; Python 3.11) over every pair of special values plus 40,000 random points (moderate and
extreme scales) for each libm op: every op is bit for bit except ``tanh``. NumPy's own SIMD
tanh differs from libm's (``math.tanh``) by at most 2 ulp, at 2,809 of 39,969 points (7%),
from tiny ``|x|`` up to ``|x| = 19`` (where tanh rounds to 1); 1 ulp nearly everywhere, 2 ulp
at about 0.05% of points. ``exp``, ``log``, ``sin``, ``cos``, ``pow`` (so also sigmoid) give
libm's results exactly here (NumPy has SIMD versions of some for AVX-512 machines, which may
differ: ``NUMPY_ULPS`` is where to record it).
The random-graph test of the NumPy mode therefore judges ``tanh`` nodes by NumPy's own tanh
(elementwise, independent of position in the batch) and every other op by ``forward``.

Measured for a 1,000-node random graph whose every node is needed (ops add, mul, relu, tanh;
``python tests/test_codegen.py`` measures again; a noisy 2-core machine): ``python_source``
about 4.5 ms and ``compile_python`` (source and compile) about 10 ms; a compiled call about
36 ns per node (the reference loop below: about 1.3 us per node); NumPy at 10,000 points about
4.4 ns per node per point. A 100,000-node graph compiles in about 1.6 s (0.5 s of it writing
the source, the rest CPython's ``compile``) into 37,752 statements over 14 variables.
"""

from __future__ import annotations

import functools
import linecache
import math
import random
import struct
import subprocess
import sys
import time
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refgrad.codegen import (
    MAX_FUSED_OPS,
    compile_numpy,
    compile_python,
    numpy_source,
    python_source,
)
from refgrad.graph import Graph, GraphBuilder, GraphError, Node
from refgrad.memory import plan_memory
from refgrad.ops import OPS
from tests.floats import same_float
from tests.reference import evaluate

np = pytest.importorskip("numpy")

INF, NAN = math.inf, math.nan
SPECIAL = (
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, -3.0, INF, -INF, NAN,
    1e308, -1e308, 5e-324, -5e-324, 710.0, -745.5, 1e-300,
)  # fmt: skip
CONSTANTS = (0.0, -0.0, 1.0, -1.0, 2.5, INF, -INF, NAN)
ALL_OPS = tuple(OPS.values())
ARITHMETIC = tuple(OPS[name] for name in ("add", "sub", "mul", "neg", "div", "tanh", "sin"))
NAMES = ("x", "y", "z", "s0", "s1", "_exp", "inf", "nan", "np", "for", "None", "compiled")

# Ops whose NumPy results IEEE 754 does not pin down (libm functions), with the largest ulp
# distance from the scalar forward measured on the development machine (see the docstring).
# Every other op must match bit for bit everywhere.
NUMPY_ULPS = {"exp": 0, "log": 0, "sin": 0, "cos": 0, "pow": 0, "sigmoid": 0, "tanh": 2}


# --- the judge --------------------------------------------------------------------------------


def bits(number: float) -> bytes:
    return struct.pack("<d", number)


def ulps(a: float, b: float) -> float:
    """Distance in units in the last place (0 for two nans, inf for a nan and a number)."""
    if same_float(a, b):
        return 0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    if a == b:  # +0.0 and -0.0
        return 1

    def ordered(number: float) -> int:
        integer = struct.unpack("<q", bits(number))[0]
        return integer if integer >= 0 else -(integer & 0x7FFF_FFFF_FFFF_FFFF)

    return abs(ordered(a) - ordered(b))


# --- random graphs ----------------------------------------------------------------------------


@st.composite
def graphs(draw, max_steps: int = 40, ops=ALL_OPS) -> Graph:
    """Straight-line graphs: each operand an offset back from the newest node (see DESIGN 5)."""
    builder = GraphBuilder()
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    nodes = [builder.input(name) for name in names]
    for _ in range(draw(st.integers(0, max_steps))):
        if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
            nodes.append(builder.constant(draw(st.sampled_from(CONSTANTS))))
            continue
        op = draw(st.sampled_from(ops))
        offsets = [draw(st.integers(0, len(nodes) - 1)) for _ in range(op.arity)]
        nodes.append(builder.apply(op, *(nodes[-1 - offset] for offset in offsets)))
    # The newest node is always an output, so most of the program is live.
    outputs = [0, *draw(st.lists(st.integers(0, len(nodes) - 1), max_size=2))]
    return builder.build([nodes[-1 - offset] for offset in outputs]).verify()


special_or_any_float = st.one_of(st.sampled_from(SPECIAL), st.floats(), st.floats(-4.0, 4.0))


@st.composite
def graphs_and_points(draw, count: int = 4, ops=ALL_OPS):
    graph = draw(graphs(ops=ops))
    point = st.tuples(*[special_or_any_float] * len(graph.inputs))
    return graph, draw(st.lists(point, min_size=1, max_size=count))


def random_graph(node_count: int, seed: int, ops=ALL_OPS, chain: bool = False) -> Graph:
    """A seeded random graph of ``node_count`` nodes: each op reads a recent node and one a
    little further back (fan-out everywhere) or, now and then, a constant. With ``chain``, the
    first operand is always the newest node, so every node feeds the last output.
    """
    rng = random.Random(seed)
    builder = GraphBuilder()
    nodes = [builder.input(name) for name in ("x", "y", "z")]

    def back(rate: float) -> Node:
        return nodes[-1 - min(int(rng.expovariate(rate)), len(nodes) - 1)]

    while len(builder.nodes) < node_count:
        op = rng.choice(ops)
        first = nodes[-1] if chain else back(0.5)
        second = builder.constant(rng.choice(CONSTANTS)) if rng.random() < 0.1 else back(0.1)
        nodes.append(builder.apply(op, *(first, second)[: op.arity]))
    return builder.build([nodes[-1], nodes[-2], nodes[len(nodes) // 2]]).verify()


def example_graph() -> Graph:
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    F = builder.ops
    product = F.mul(x, y)
    quotient = F.div(F.add(F.exp(product), x), y)
    F.sin(quotient)  # no output needs it: not computed
    result = F.zero_where(F.le(quotient, 0.0), F.sigmoid(F.neg(quotient)))
    return builder.build([result, product]).verify()


# --- the Python mode -------------------------------------------------------------------------


@given(st.one_of(graphs_and_points(), graphs_and_points(ops=ARITHMETIC)))
def test_compiled_python_equals_the_reference_bit_for_bit(case):
    """Every op, and (for operator precedence) the arithmetic ops alone."""
    graph, points = case
    compiled = compile_python(graph)
    for point in points:
        got, expected = compiled(*point), evaluate(graph, point)
        # Same IEEE operations on the same operands: even nan payloads and signs agree.
        assert list(map(bits, got)) == list(map(bits, expected)), (compiled.source, point)


@pytest.mark.parametrize("chain", [False, True], ids=["some-dead", "all-live"])
@pytest.mark.parametrize("ops", [ALL_OPS, ARITHMETIC], ids=["all-ops", "arithmetic"])
def test_large_random_graphs_equal_the_reference(ops, chain):
    """Thousands of fused statements over moderate values (random points saturate sooner)."""
    for seed in range(3):
        graph = random_graph(2_000, seed=seed, ops=ops, chain=chain)
        compiled, batched = compile_python(graph), compile_numpy(graph)
        points = [(0.3, -0.7, 1.1), (-2.5, 0.5, 0.0), (1e-3, -0.0, 7.0)]
        columns = batched(*(np.array(column) for column in zip(*points, strict=True)))
        for row, point in enumerate(points):
            expected = evaluate(graph, point)
            assert list(map(bits, compiled(*point))) == list(map(bits, expected))
            expected = evaluate(graph, point, forward=numpy_forward)
            assert all(map(same_float, (column[row] for column in columns), expected))


def test_generated_source_reads_well():
    graph = example_graph()
    assert python_source(graph) == (
        "def compiled(x, y):\n"
        "    s0 = x * y\n"
        "    s1 = _div(_exp(s0) + x, y)\n"
        "    s1 = (0.0 if s1 <= 0.0 else _sigmoid(-s1))\n"
        "    return (s1, s0)\n"
    )
    assert numpy_source(graph) == (
        "def compiled(x, y):\n"
        "    s0 = x * y\n"
        "    s1 = np.divide(np.exp(s0) + x, y)\n"
        "    s1 = np.where(np.where(s1 <= 0.0, 1.0, 0.0) != 0.0, 0.0, "
        "1.0 / (1.0 + np.exp(-(-s1))))\n"
        "    return (s1, s0)\n"
    )
    compiled = compile_python(graph)
    assert compiled(2.0, 0.0) == (0.0, 0.0)  # (e^0 + 2) / 0 = inf: the select gives 0
    assert str(compiled.plan) == "peak 2 live slots for 12 nodes"


def test_constants_keep_their_sign_and_nan_payload():
    builder = GraphBuilder()
    x = builder.input("x")
    odd_nan = struct.unpack("<d", bytes.fromhex("010000000000f8ff"))[0]  # -nan, payload 1
    constants = [builder.constant(c) for c in (-0.0, 0.0, -INF, INF, NAN, odd_nan, -2.5, 1e-320)]
    outputs = [*constants, builder.ops.mul(constants[0], x), builder.ops.neg(constants[0])]
    graph = builder.build(outputs)
    got = compile_python(graph)(1.0)
    assert list(map(bits, got)) == list(map(bits, evaluate(graph, (1.0,))))
    assert "(-0.0)" in python_source(graph)
    batched = compile_numpy(graph)(np.array([1.0, 2.0]))
    assert [bits(column[1]) for column in batched] == list(map(bits, got[:6])) + [
        bits(value) for value in evaluate(graph, (2.0,))[6:]
    ]


def test_input_names_that_clash_are_renamed_and_still_work():
    builder = GraphBuilder()
    names = ("s0", "_exp", "inf", "nan", "for", "None", "compiled")
    inputs = [builder.input(name) for name in names]
    total = inputs[0]
    for node in inputs[1:]:
        total = builder.ops.exp(builder.ops.add(total, node))
    graph = builder.build([total, inputs[0]])
    source = python_source(graph)
    assert source.splitlines()[0] == (
        "def compiled(s0_, _exp_, inf_, nan_, for_, None_, compiled):"
    )
    point = (0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7)
    assert compile_python(graph)(*point) == evaluate(graph, point)
    assert numpy_source(graph).splitlines()[0].startswith("def compiled(s0_, _exp, inf_,")


def test_names_cannot_inject_code():
    builder = GraphBuilder()
    x = builder.input("x")
    graph = builder.build([builder.ops.exp(x), x], output_names=["y\nimport os", "x"])
    assert "    # returns: y import os, x\n" in python_source(graph)
    assert compile_python(graph)(0.0) == (1.0, 0.0)
    bad = Node(0, None, name="x = 1; y")
    with pytest.raises(GraphError, match="not a Python identifier"):
        python_source(Graph([bad], (bad,), (bad,)))


def test_dead_nodes_are_not_computed_and_outputs_may_be_inputs_or_constants():
    builder = GraphBuilder()
    x = builder.input("x")
    builder.ops.sin(builder.ops.exp(x))  # dead
    graph = builder.build([x, builder.constant(2.5), x])
    assert python_source(graph) == "def compiled(x):\n    return (x, 2.5, x)\n"
    assert compile_python(graph)(1.0) == (1.0, 2.5, 1.0)


def test_statements_fuse_chains_but_stay_shallow():
    builder = GraphBuilder()
    node = builder.input("x")
    for step in range(1_000):
        node = builder.ops.sin(node) if step % 2 else builder.ops.add(node, 0.5)
    graph = builder.build([node])
    source = python_source(graph)
    body = source.splitlines()[1:-1]
    assert len(body) == math.ceil(1_000 / MAX_FUSED_OPS)
    assert {line.split(" = ")[0].strip() for line in body} == {"s0"}
    for line in body:
        depth = deepest = 0
        for character in line:
            depth += {"(": 1, ")": -1}.get(character, 0)
            deepest = max(deepest, depth)
        assert deepest <= 2 * MAX_FUSED_OPS
    point = (0.3,)
    assert compile_python(graph)(*point) == evaluate(graph, point)


def test_an_operand_read_twice_is_computed_once():
    builder = GraphBuilder()
    x = builder.input("x")
    product = builder.ops.mul(builder.ops.exp(x), x)
    graph = builder.build([builder.ops.relu(product), builder.ops.mul(x, x)])
    # relu writes its operand twice, so the product gets a variable of its own.
    assert numpy_source(graph) == (
        "def compiled(x):\n"
        "    s0 = np.exp(x) * x\n"
        "    s0 = np.where(s0 < 0.0, 0.0, s0)\n"
        "    s1 = x * x\n"
        "    return (s0, s1)\n"
    )
    assert python_source(graph) == (
        "def compiled(x):\n"
        "    s0 = _exp(x) * x\n"
        "    s0 = (0.0 if s0 < 0.0 else s0)\n"
        "    s1 = x * x\n"
        "    return (s0, s1)\n"
    )


def test_fast_forwards_fall_back_to_the_ieee_forwards_where_they_raise():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    graph = builder.build([builder.ops.div(builder.ops.pow(x, 3.0), y), builder.ops.exp(x)])
    compiled = compile_python(graph)
    assert "_pow(" in compiled.source and compiled.unchecked is not compiled.function
    # overflow, a pole, both at once, and a point where nothing raises
    for point in ((1e200, 2.0), (2.0, 0.0), (1e200, -0.0), (1.5, -2.0), (800.0, NAN)):
        expected = evaluate(graph, point)
        for call in (compiled, compiled.unchecked, compiled.function):
            assert list(map(bits, call(*point))) == list(map(bits, expected)), point


def test_compiled_functions_show_their_lines_in_tracebacks():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    graph = builder.build([builder.ops.div(builder.ops.mul(x, y), y)])
    compiled = compile_python(graph)
    assert compiled.filename.startswith("<refgrad-compiled-")
    assert linecache.getline(compiled.filename, 1) == "def compiled(x, y):\n"
    assert linecache.getline(compiled.filename, 2) == "    s0 = _div(x * y, y)\n"
    with pytest.raises(TypeError) as caught:
        compiled.function([1.0], 2.5)  # no checks on the raw function: the list gets in
    text = "".join(traceback.format_exception(caught.value))
    assert f'File "{compiled.filename}", line 2, in compiled' in text
    assert "s0 = _div(x * y, y)" in text
    filename = compiled.filename
    del compiled
    assert filename not in linecache.cache  # the entry lives as long as the function


def test_calls_check_their_arguments():
    graph = example_graph()
    compiled = compile_python(graph)
    with pytest.raises(TypeError, match=r"takes 2 inputs \(x, y\), got 1"):
        compiled(1.0)
    with pytest.raises(TypeError, match="input 'y' must be a real number"):
        compiled(1.0, "2")
    assert compiled(1, True) == compiled(1.0, 1.0)  # other real numbers become floats
    assert all(type(value) is float for value in compiled(np.float64(1.0), 2))
    with pytest.raises(ValueError, match="cannot name"):
        compile_python(graph, name="for")
    with pytest.raises(ValueError, match="cannot name"):
        python_source(graph, name="_exp")
    assert compile_python(graph, name="f").source.startswith("def f(x, y):")


# --- the NumPy mode ---------------------------------------------------------------------------


@functools.cache
def numpy_forward(op):
    """The scalar forward, except where NumPy's libm differs: then NumPy's own (elementwise)."""
    if NUMPY_ULPS.get(op.name, 0) == 0:
        return op.forward
    builder = GraphBuilder()
    inputs = [builder.input(f"x{position}") for position in range(op.arity)]
    batched = compile_numpy(builder.build([builder.apply(op, *inputs)]))
    return lambda *operands: float(batched(*([value] for value in operands))[0][0])


@given(st.one_of(graphs_and_points(count=8), graphs_and_points(count=8, ops=ARITHMETIC)))
def test_numpy_batches_equal_the_scalar_evaluation_at_each_point(case):
    graph, points = case
    compiled = compile_numpy(graph)
    columns = [np.array(column, dtype=np.float64) for column in zip(*points, strict=True)]
    outputs = compiled(*columns)
    assert all(output.shape == (len(points),) for output in outputs)
    assert all(output.dtype == np.float64 for output in outputs)
    for row, point in enumerate(points):
        expected = evaluate(graph, point, forward=numpy_forward)
        got = [float(output[row]) for output in outputs]
        assert all(map(same_float, got, expected)), (compiled.source, point, got, expected)


def grid(op, random_points: int):
    """Every tuple of special values, plus random points at moderate and extreme scales."""
    rng = random.Random(op.name)
    cases = [(a,) if op.arity == 1 else (a, b) for a in SPECIAL for b in SPECIAL]
    for _ in range(random_points):
        moderate = [rng.uniform(-30.0, 30.0) for _ in range(op.arity)]
        extreme = [
            math.ldexp(rng.uniform(-1.0, 1.0), rng.randint(-1074, 1024)) for _ in range(op.arity)
        ]
        cases += [tuple(moderate), tuple(extreme)]
    unique = {tuple(map(bits, case)): case for case in cases}  # a set would merge 0.0, -0.0
    return list(unique.values())


@pytest.mark.parametrize("op", OPS.values(), ids=lambda op: op.name)
def test_numpy_ops_match_the_scalar_forward(op, record_property):
    """Each op's numpy_syntax against its forward, point by point (see the module docstring)."""
    builder = GraphBuilder()
    inputs = [builder.input(f"x{position}") for position in range(op.arity)]
    batched = compile_numpy(builder.build([builder.apply(op, *inputs)]))
    cases = grid(op, 20_000 if op.name in NUMPY_ULPS else 500)
    (results,) = batched(*(np.array(column) for column in zip(*cases, strict=True)))
    distances = [
        ulps(float(got), op.forward(*case)) for got, case in zip(results, cases, strict=True)
    ]
    worst = max(distances)
    differing = sum(1 for distance in distances if distance)
    record_property(f"numpy_{op.name}_max_ulps", worst)
    record_property(f"numpy_{op.name}_differing_points", f"{differing}/{len(cases)}")
    assert worst <= NUMPY_ULPS.get(op.name, 0), (
        f"numpy's {op.name} differs from forward by {worst} ulp at {differing} of "
        f"{len(cases)} points; record it in NUMPY_ULPS if NumPy's libm is to blame"
    )


def test_numpy_outputs_are_fresh_full_length_arrays():
    builder = GraphBuilder()
    x = builder.input("x")
    three = builder.ops.add(builder.constant(1.0), builder.constant(2.0))
    graph = builder.build([x, builder.constant(-0.0), three, builder.ops.exp(x), x])
    compiled = compile_numpy(graph)
    column = np.array([0.0, 1.0, -1.0])
    same, zero, constant, exp, again = compiled(column)
    assert same is not column and again is not same and np.array_equal(same, column)
    assert np.signbit(zero).all() and zero.shape == (3,)
    assert constant.tolist() == [3.0] * 3
    assert exp.tolist() == [math.exp(value) for value in column]
    assert compiled([])[0].shape == (0,)


def test_numpy_calls_check_their_arguments():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    compiled = compile_numpy(builder.build([builder.ops.div(x, y)]))
    with pytest.raises(ValueError, match="one length"):
        compiled([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="1-D"):
        compiled([[1.0]], [[1.0]])
    with pytest.raises(TypeError, match="takes 2 inputs"):
        compiled([1.0])
    assert compiled([1.0, -1.0, 0.0], [0.0, 0.0, 0.0])[0].tolist()[:2] == [INF, -INF]
    empty = GraphBuilder()
    constant_graph = empty.build([empty.ops.div(empty.constant(1.0), empty.constant(0.0))])
    with pytest.raises(TypeError, match="size="):
        compile_numpy(constant_graph)()
    assert compile_numpy(constant_graph)(size=2)[0].tolist() == [INF, INF]


def test_numpy_is_imported_only_to_compile_numpy_code():
    probe = (
        "import sys\n"
        "from refgrad.codegen import compile_python, numpy_source\n"
        "from refgrad.graph import GraphBuilder\n"
        "b = GraphBuilder(); x = b.input('x'); g = b.build([b.ops.tanh(x)])\n"
        "numpy_source(g); compile_python(g)(1.0)\n"
        "print('numpy' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert output.stdout.strip() == "False", output.stderr


def test_every_op_has_numpy_syntax():
    for op in OPS.values():
        assert op.numpy_syntax is not None and op.numpy_syntax.count("{") >= op.arity, op.name


# --- memory planning --------------------------------------------------------------------------


def independent_last_use(graph: Graph) -> list[int]:
    end = len(graph.nodes)
    last = list(range(end))
    for node in graph.nodes:
        for operand in node.operands:
            last[operand.index] = node.index
    for node in graph.outputs:
        last[node.index] = end
    return last


@given(graphs(max_steps=60))
def test_memory_plan_never_shares_a_slot_between_live_values(graph):
    plan = plan_memory(graph)
    last = independent_last_use(graph)
    slotted = [node.index for node in graph.nodes if not node.is_constant]
    assert [plan.slot_of[index] is not None for index in range(len(graph.nodes))] == [
        not node.is_constant for node in graph.nodes
    ]
    assert list(plan.last_use) == last
    for position, first in enumerate(slotted):
        for second in slotted[position + 1 :]:
            if plan.slot_of[first] == plan.slot_of[second]:
                # `second` overwrites the slot: `first` must not be read after that statement.
                assert last[first] <= second, (first, second, str(graph))
    # Lowest-free-slot allocation is optimal on one block: slots == peak of live values.
    live_peak = max(
        (sum(1 for i in slotted if i <= p and (last[i] > p or i == p)) for p in slotted),
        default=0,
    )
    assert plan.slot_count == live_peak <= plan.node_count == len(graph.nodes)


def test_a_long_chain_needs_one_slot():
    builder = GraphBuilder()
    node = builder.input("x")
    for step in range(10_000):
        node = builder.ops.tanh(node) if step % 2 else builder.ops.mul(node, 1.0001)
    graph = builder.build([node])
    assert plan_memory(graph).slot_count == 1
    compiled = compile_python(graph)
    assert compiled.plan.slot_count == 1
    assert compiled(0.5) == evaluate(graph, (0.5,))


def test_memory_plan_prints_readably_and_rejects_impossible_inlining():
    graph = random_graph(1_000, seed=1)
    plan = plan_memory(graph)
    assert str(plan) == f"peak {plan.slot_count} live slots for 1,000 nodes"
    outputs = [node.index for node in graph.outputs]
    with pytest.raises(GraphError, match="cannot be inlined"):
        plan_memory(graph, inlined=outputs[:1])
    with pytest.raises(GraphError, match="cannot be inlined"):
        plan_memory(graph, inlined=[graph.inputs[0].index])


# --- size ------------------------------------------------------------------------------------


def test_a_100_000_node_graph_compiles_and_runs(record_property):
    graph = random_graph(100_000, seed=7, chain=True)  # every node needed
    start = time.perf_counter()
    compiled = compile_python(graph)
    seconds = time.perf_counter() - start
    record_property("compile_100k_seconds", round(seconds, 3))
    print(f"100,000 nodes: compiled in {seconds:.2f} s; {compiled.plan}")
    lines = compiled.source.count("\n")
    assert lines < 100_000  # fusion: fewer statements than nodes
    assert compiled.plan.slot_count < 1_000  # memory reuse: not one local per node
    point = (0.25, -1.5, 3.0)
    assert list(map(bits, compiled(*point))) == list(map(bits, evaluate(graph, point)))


# --- measurements (not a test): python tests/test_codegen.py ---------------------------------


def measure(node_count: int = 1_000, batch: int = 10_000, rounds: int = 20) -> None:
    """Compile and run times for a random graph whose every node is needed (DESIGN's op mix)."""
    mix = [OPS[name] for name in ("add", "mul", "relu", "tanh")]
    graph = random_graph(node_count, seed=3, ops=mix, chain=True)
    start = time.perf_counter()
    source = python_source(graph)
    generated = time.perf_counter()
    compiled = compile_python(graph)
    compiled_at = time.perf_counter()
    print(f"{node_count:,} nodes ({graph.op_count} ops), {compiled.plan}, "
          f"{source.count(chr(10)) - 2} statements")  # fmt: skip
    print(f"  python_source {1e3 * (generated - start):.1f} ms; compile_python "
          f"(source + compile) {1e3 * (compiled_at - generated):.1f} ms")  # fmt: skip
    point = (0.3, -0.7, 1.1)
    best = min(_time(lambda: compiled.function(*point), 200) for _ in range(rounds))
    called = min(_time(lambda: compiled(*point), 200) for _ in range(rounds))
    reference = min(_time(lambda: evaluate(graph, point), 5) for _ in range(5))
    print(f"  python: {1e9 * best / node_count:.1f} ns per node ({1e9 * called / node_count:.1f}"
          f" through __call__; reference loop {1e9 * reference / node_count:.0f})")  # fmt: skip
    batched = compile_numpy(graph)
    rng = np.random.default_rng(0)
    columns = [rng.uniform(-2.0, 2.0, batch) for _ in graph.inputs]
    best = min(_time(lambda: batched(*columns), 3) for _ in range(rounds))
    print(f"  numpy at {batch:,} points: {1e9 * best / node_count / batch:.2f} ns per node "
          f"per point ({1e3 * best:.1f} ms per call)")  # fmt: skip


def _time(function, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat


if __name__ == "__main__":
    measure()
