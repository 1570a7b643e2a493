"""The static graph IR, graph-level autodiff, tracing with guards, and the static mode."""

from __future__ import annotations

import math
import struct
import warnings

import pytest
from hypothesis import given

import refgrad
from refgrad.autodiff import forward, reverse
from refgrad.graph import GraphBuilder, GraphError, Node
from refgrad.interpret import Interpreter, interpret
from refgrad.ops import OPS
from refgrad.trace import TraceEscapeWarning, trace
from tests.floats import same_float
from tests.test_codegen import graphs


def small_graph():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    product = builder.apply(OPS["mul"], x, y)
    out = builder.apply(OPS["add"], builder.apply(OPS["tanh"], product), product)
    return builder.build([out])


# --- the IR ----------------------------------------------------------------------------


def test_a_graph_prints_as_a_python_function():
    assert str(small_graph()) == (
        "def graph(x, y):\n    v2 = x * y\n    v3 = v2.tanh()\n    v4 = v3 + v2\n    return v4"
    )


def test_the_builder_interns_ops_and_constants_by_bit_pattern():
    builder = GraphBuilder()
    x = builder.input("x")
    assert builder.apply(OPS["mul"], x, 2.0) is builder.apply(OPS["mul"], x, 2.0)
    assert builder.constant(0.0) is not builder.constant(-0.0)
    assert builder.constant(math.nan) is builder.constant(math.nan)
    graph = builder.build([builder.apply(OPS["add"], x, -0.0)])
    assert graph.verify() is graph


def test_verify_names_the_problem():
    graph = small_graph()
    graph.nodes[2].operands = (graph.nodes[3], graph.nodes[1])  # use before definition
    with pytest.raises(GraphError, match="not defined before it"):
        graph.verify()
    graph = small_graph()
    graph.nodes.append(Node(len(graph.nodes), OPS["tanh"], (graph.nodes[0], graph.nodes[1])))
    with pytest.raises(GraphError, match="tanh takes 1 operands, got 2"):
        graph.verify()
    with pytest.raises(GraphError, match="identifier"):
        GraphBuilder().input("not a name")
    with pytest.raises(GraphError, match="Node or a float"):
        GraphBuilder().apply(OPS["neg"], "x")


@given(graphs())
def test_a_graph_packed_into_bytes_unpacks_node_for_node(graph):
    unpacked = type(graph).from_bytes(graph.to_bytes()).verify()
    assert str(unpacked) == str(graph)
    assert unpacked.output_names == graph.output_names
    for old, new in zip(graph.nodes, unpacked.nodes, strict=True):
        assert (old.op, old.name) == (new.op, new.name)
        assert [o.index for o in old.operands] == [o.index for o in new.operands]
        if old.is_constant:  # bit for bit: -0.0 and nan payloads too
            assert struct.pack("<d", old.value) == struct.pack("<d", new.value)


def test_the_interpreter_checks_its_arguments():
    with pytest.raises(GraphError, match=r"takes 2 input\(s\) \(x, y\), got 1"):
        Interpreter(small_graph())(1.0)


# --- graph-level autodiff --------------------------------------------------------------


def test_reverse_mode_graph_matches_eager_bit_for_bit():
    graph = reverse(small_graph())
    assert graph.verify().output_names == ("out", "dout/dx", "dout/dy")
    value, dx, dy = interpret(graph, (0.7, -1.3))
    eager = refgrad.value_and_grad(lambda x, y: (x * y).tanh() + x * y, argnums=(0, 1))
    assert (value, (dx, dy)) == eager(0.7, -1.3)


def test_forward_mode_is_the_directional_derivative():
    graph = forward(small_graph()).verify()
    assert [node.name for node in graph.inputs] == ["x", "y", "t_x", "t_y"]
    value, jvp = interpret(graph, (0.7, -1.3, 2.0, 0.5))
    eager_value, (dx, dy) = refgrad.value_and_grad(
        lambda x, y: (x * y).tanh() + x * y, argnums=(0, 1)
    )(0.7, -1.3)
    assert value == eager_value
    assert jvp == pytest.approx(2.0 * dx + 0.5 * dy, rel=1e-15)


def test_forward_mode_can_keep_every_output_before_the_derivative():
    # (how the staged jvp keeps a traced function's guards beside its value)
    graph = reverse(small_graph())  # three outputs: out, dout/dx, dout/dy
    kept = forward(graph, output=0, keep_outputs=True).verify()
    assert kept.output_names == ("out", "dout/dx", "dout/dy", "jvp(out)")
    just_one = interpret(forward(graph, output=0), (0.7, -1.3, 2.0, 0.5))
    every = interpret(kept, (0.7, -1.3, 2.0, 0.5))
    assert every[:3] == interpret(graph, (0.7, -1.3)) and every[3] == just_one[1]


def test_reverse_twice_gives_the_hessian():
    gradient_graph = reverse(small_graph())
    rows = [interpret(reverse(gradient_graph, output=i), (0.7, -1.3))[3:] for i in (1, 2)]
    expected = refgrad.hessian(lambda x, y: (x * y).tanh() + x * y)(0.7, -1.3)
    for row, expected_row in zip(rows, expected, strict=True):
        assert row == pytest.approx(expected_row, rel=1e-13)


def test_an_input_the_output_ignores_has_zero_gradient():
    builder = GraphBuilder()
    x, _ = builder.input("x"), builder.input("unused")
    graph = reverse(builder.build([builder.apply(OPS["exp"], x)]))
    assert interpret(graph, (0.0, 5.0)) == (1.0, 1.0, 0.0)


def test_reverse_rejects_a_missing_output():
    with pytest.raises(ValueError, match="output=3 is out of range"):
        reverse(small_graph(), output=3)


def test_reverse_of_a_million_node_chain_needs_no_recursion():
    builder = GraphBuilder()
    node = builder.input("x")
    for _ in range(200_000):
        node = builder.apply(OPS["neg"], node)
    value, gradient = interpret(reverse(builder.build([node])), (0.25,))
    assert (value, gradient) == (0.25, 1.0)


# --- tracing ----------------------------------------------------------------------------


def test_tracing_records_the_graph_and_the_guards():
    traced = trace(lambda x: x * 2.0 if x > 0 else x * x, (3.0,), {}, (0,))
    assert traced.escaped is None and traced.value == 6.0
    assert [(guard.op_name, guard.expected) for guard in traced.guards] == [("gt", True)]
    assert interpret(traced.graph, (3.0,)) == (6.0, 1.0)
    assert interpret(traced.graph, (-3.0,)) == (-6.0, 0.0)  # the guard output now says 0


def test_reading_the_number_escapes_the_trace():
    assert "reads .data" in trace(lambda x: x * x.data, (3.0,), {}, (0,)).escaped
    assert "float()" in trace(lambda x: x * float(x), (3.0,), {}, (0,)).escaped


def test_closed_over_values_and_constants_become_graph_constants():
    outer = refgrad.Value(4.0)
    traced = trace(lambda x: x * outer + 1.5, (2.0,), {}, (0,))
    assert [node.value for node in traced.graph.nodes if node.is_constant] == [4.0, 1.5]


def test_tracing_leaves_no_node_in_a_value_it_closed_over():
    # The conversion keeps each Value's node in its _scratch slot while it runs.
    outer = refgrad.Value(4.0) * refgrad.Value(0.5)
    kept = []

    def f(x):
        y = x * outer
        kept.append(y)  # a traced value the function hands out
        return y + outer

    trace(f, (2.0,), {}, (0,))
    assert outer._scratch is None and kept[0]._scratch is None


@pytest.mark.parametrize(
    "stale",
    [
        object(),
        1.5,
        Node(0, None, name="x"),
        trace(lambda x: x * x, (2.0,), {}, (0,)).graph.nodes[1],
    ],
    ids=["a mark", "a cotangent", "a node of no graph", "a node of another graph"],
)
def test_a_stale_scratch_slot_does_not_confuse_tracing(stale):
    # What an interrupted eager backward (or another graph) left in a closed-over Value.
    inner = refgrad.Value(3.0)
    outer = inner * refgrad.Value(2.0)
    outer._scratch = inner._scratch = stale
    traced = trace(lambda x: x * outer + inner, (2.0,), {}, (0,))
    assert interpret(traced.graph, (5.0,)) == (5.0 * 6.0 + 3.0,)
    assert outer._scratch is None and inner._scratch is None


# --- the static mode ------------------------------------------------------------------


def test_control_flow_through_guards_matches_eager_at_both_points():
    def f(x):
        return x * 2 if x > 0 else x * x * x

    static = refgrad.value_and_grad(f, mode="static")
    eager = refgrad.value_and_grad(f)
    for point in (3.0, -3.0, 2.0, -1.0, 0.0):
        assert static(point) == eager(point)


def test_reading_data_falls_back_to_eager_with_a_warning():
    def f(x):
        return x * 2 if x.data > 0 else x * x * x

    static = refgrad.value_and_grad(f, mode="static")
    with pytest.warns(TraceEscapeWarning, match="reads .data"):
        assert static(3.0) == (6.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then silently eager
        assert static(-3.0) == (-27.0, 27.0)


def test_ieee_safety_in_static_mode():
    def at(f, x):
        return refgrad.value_and_grad(f, mode="static")(x)[0]

    assert math.isnan(at(lambda x: x * 0.0, math.inf))
    assert same_float(at(lambda x: x + 0.0, -0.0), 0.0)
    assert math.isnan(at(lambda x: x - x, math.nan))


def test_non_differentiated_arguments_key_the_cache():
    calls = []

    def f(x, scale):
        calls.append(scale)
        return x * scale

    static = refgrad.grad(f, mode="static")
    assert (static(1.0, 2.0), static(5.0, 2.0), static(1.0, 3.0)) == (2.0, 2.0, 3.0)
    assert calls == [2.0, 3.0]  # traced once per value of `scale`, not per call


# Static mode against eager on random programs: tests/test_modes.py checks every mode at once.
