"""The compiled mode's floor (benchmarks/floor.py): the same operations as the gradient graph,
one statement each, in locals that need no EXTENDED_ARG, and a report that says so."""

from __future__ import annotations

import collections
import dis
import math

import pytest

from benchmarks import floor
from benchmarks.workloads import random_dag
from refgrad.graph import GraphBuilder
from refgrad.memory import needed_nodes
from refgrad.ops import OPS


def _function(source: str):
    namespace = {"_pow": math.pow, "inf": math.inf, "nan": math.nan}
    exec(compile(source, "<floor>", "exec"), namespace)
    return namespace["floor"]


def test_the_floor_has_one_statement_per_needed_op_and_the_graphs_constants():
    workload = random_dag(300, seed=0)
    graph = floor.gradient_graph_of(workload)
    needed = needed_nodes(graph)
    ops = [node for node in graph.nodes if node.op is not None and needed[node.index]]
    source = floor.floor_source(graph)
    statements = source.splitlines()[1:-1]
    assert len(statements) == len(ops)
    for statement, node in zip(statements, ops, strict=True):
        for operand in node.operands:
            if operand.is_constant:
                assert repr(operand.value) in statement
    function = _function(source)
    instructions = collections.Counter(i.opname for i in dis.get_instructions(function))
    kinds = collections.Counter(node.op.name for node in ops)
    assert instructions["BINARY_OP"] == kinds["mul"] + kinds["add"]
    assert instructions["CALL"] == kinds["pow"]
    assert instructions["EXTENDED_ARG"] == 0
    assert instructions["STORE_FAST"] == len(ops)
    assert function.__code__.co_nlocals == len(graph.inputs) + floor.FLOOR_LOCALS
    (result,) = function(*workload.inputs)  # it runs (what it computes is no one's business)
    assert type(result) is float


def test_an_operand_overwritten_in_the_register_file_is_read_from_the_newest_value():
    builder = GraphBuilder()
    x = builder.input("x")
    first = builder.apply(OPS["mul"], x, 3.0)
    chain = first
    for _ in range(floor.FLOOR_LOCALS):
        chain = builder.apply(OPS["add"], chain, 1.0)
    last = builder.apply(OPS["mul"], chain, first)  # `first`'s register was reused since
    source = floor.floor_source(builder.build([last]))
    newest = f"r{floor.FLOOR_LOCALS % floor.FLOOR_LOCALS}"
    assert source.splitlines()[-2] == f"    r1 = {newest} * {newest}"
    assert _function(source)(2.0) == (((6.0 + floor.FLOOR_LOCALS) ** 2),)


def test_the_report_names_every_engine_with_its_ratio_to_micrograd(tmp_path, capsys):
    pytest.importorskip("micrograd.engine")
    assert floor.main(["--nodes", "30", "--rounds", "1", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "summary.md").read_text()
    assert text == capsys.readouterr().out.rstrip("\n") + "\n"
    for engine in ("refgrad compiled", "floor", "micrograd"):
        assert f"| {engine}" in text
    assert "Regenerate: `python -m benchmarks.floor`" in text


@pytest.mark.parametrize("argument", ["--nodes=0", "--rounds=0"])
def test_bad_sizes_are_refused(argument, capsys):
    with pytest.raises(SystemExit):
        floor.main([argument])
    assert "must be at least 1" in capsys.readouterr().err
