"""Costs that must grow linearly with the number of inputs and outputs of a graph.

A micrograd-style MLP of 100,000 nodes has about 50,000 inputs (its weights), and two
per-input scans made it quadratic: ``GraphBuilder.input`` compared a new name with every
input so far (compiling took minutes), and ``CompiledNumpyFunction.__call__`` compared each
result with every input array (one batched call took minutes). These tests would have caught
both without a clock: one counts the name comparisons; the others build, compile and call
functions of 30,000 inputs, which a quadratic cost would stretch to minutes. A last one checks that
differentiating a graph leaves no reference cycle, which kept the whole gradient graph alive
until the cyclic collector ran (a long collection inside every first call).
"""

from __future__ import annotations

import weakref

import numpy as np

from refgrad.autodiff import reverse
from refgrad.codegen import compile_numpy, compile_python
from refgrad.collector import collector_paused
from refgrad.graph import GraphBuilder
from refgrad.ops import OPS
from refgrad.passes.simplify import SimplifyingBuilder


class _CountedName(str):
    """An input name that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _CountedName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_adding_inputs_compares_names_a_bounded_number_of_times_each():
    _CountedName.comparisons = 0
    builder = GraphBuilder()
    for i in range(5_000):
        builder.input(_CountedName(f"w{i}"))
    # A scan over the inputs so far would compare 5,000 * 4,999 / 2 = 12.5 million times; a
    # hashed lookup compares only on a hash collision (none expected, a few allowed).
    assert _CountedName.comparisons <= 50


def test_a_graph_with_tens_of_thousands_of_inputs_builds_compiles_and_runs():
    count = 30_000
    builder = GraphBuilder()
    inputs = [builder.input(f"w{i}") for i in range(count)]
    total = inputs[0]
    for node in inputs[1:]:
        total = builder.apply(OPS["add"], total, node)
    graph = builder.build([total]).verify()
    compiled = compile_python(graph)
    numbers = [float(i % 7) for i in range(count)]
    expected = 0.0
    for number in numbers:  # the same left-to-right order of additions
        expected += number
    assert compiled(*numbers) == (expected,)


def _scaled_outputs_function(count: int):
    """A NumPy function of ``count`` inputs returning ``count`` fresh arrays (2 * input)."""
    builder = GraphBuilder()
    inputs = [builder.input(f"w{i}") for i in range(count)]
    outputs = [builder.apply(OPS["mul"], node, 2.0) for node in inputs]
    return compile_numpy(builder.build(outputs))


def test_a_batched_call_with_tens_of_thousands_of_inputs_and_outputs_runs():
    # Checking each result against every input made this call quadratic: 30,000 outputs by
    # 30,000 inputs is 900 million comparisons, minutes of work, where a set of ids takes
    # milliseconds. (No clock here: a regression shows as the slowest test in --durations.)
    count = 30_000
    compiled = _scaled_outputs_function(count)
    arrays = [np.full(3, float(i)) for i in range(count)]
    results = compiled(*arrays)
    assert len(results) == count
    assert all(result[0] == 2.0 * i for i, result in enumerate(results))


def test_batched_results_never_alias_an_input_or_each_other():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    doubled = builder.apply(OPS["mul"], x, 2.0)
    compiled = compile_numpy(builder.build([x, doubled, doubled, y]))
    first, second = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    results = compiled(first, second)
    assert results[0] is not first and results[3] is not second
    assert results[1] is not results[2]
    assert [list(result) for result in results] == [[1.0, 2.0], [2.0, 4.0], [2.0, 4.0], [3.0, 4.0]]


def test_differentiating_leaves_no_reference_cycle_for_the_collector():
    # A builder's op namespace refers back to the builder; left cached, that cycle kept every
    # node alive until the cyclic collector found it (a long collection on big graphs).
    builder = SimplifyingBuilder()
    builder_alive = weakref.ref(builder)
    graph_builder = GraphBuilder()
    x = graph_builder.input("x")
    traced = graph_builder.build([graph_builder.ops.mul(graph_builder.ops.sin(x), x)])
    gradient = reverse(traced, output=0, builder=builder)
    del builder
    with collector_paused():  # freed by reference counting alone, or not at all
        assert builder_alive() is None
    assert gradient.verify() and len(gradient.outputs) == 2
