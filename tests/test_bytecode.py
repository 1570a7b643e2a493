"""The bytecode assembler (refgrad.bytecode) against CPython's own compiler.

``compile_python`` writes a generated function's bytecode directly instead of compiling its
source. These tests hold the assembler to what ``compile()`` makes of that source: the same
instructions with the same resolved arguments (constants, names, locals, jump targets), on
the same lines, with the same stack size. Only the numbering of constants and names may
differ (the assembler numbers them as ops first use them), and its line table has no columns.
Results are checked bit for bit against the reference evaluator in tests/test_codegen.py,
whose tests all run through the assembler.
"""

from __future__ import annotations

import dataclasses
import dis
import linecache
import math
import struct
import traceback
import types

import pytest
from hypothesis import given

from refgrad import bytecode, codegen
from refgrad.autodiff import reverse
from refgrad.codegen import MAX_FUSED_OPS, compile_python, python_source
from refgrad.graph import Graph, GraphBuilder, GraphError
from refgrad.ops import OPS
from refgrad.passes.pipeline import SINGLE_SWEEP, optimize
from tests.reference import evaluate
from tests.test_codegen import graphs, random_graph

pytestmark = pytest.mark.skipif(not bytecode.AVAILABLE, reason="the assembler is for 3.11")


def instructions(code: types.CodeType) -> list[tuple]:
    """``code``'s instructions as (name, resolved argument, line), EXTENDED_ARG folded in and
    jump targets given as instruction numbers, so numbering and prefixes do not matter."""
    listed = list(dis.get_instructions(code))
    number_at: dict[int, int] = {}  # offset (of an instruction's first prefix) -> its number
    start = None
    kept = []
    for item in listed:
        start = item.offset if start is None else start
        if item.opname != "EXTENDED_ARG":
            number_at[start] = len(kept)
            kept.append(item)
            start = None
    rows = []
    for item in kept:
        argument = item.argval
        if item.opcode in dis.hasjrel:
            argument = number_at[argument]
        elif isinstance(argument, float):
            argument = struct.pack("<d", argument)  # 0.0 and -0.0 are different constants
        elif item.opname == "LOAD_GLOBAL":
            argument = (argument, item.arg & 1)
        rows.append((item.opname, argument, item.positions.lineno))
    return rows


def compiled_from_source(graph: Graph) -> types.CodeType:
    return bytecode.function_code(python_source(graph), "<source>")


def assembled(graph: Graph) -> types.CodeType:
    return codegen._assemble(codegen._layout(graph, "compiled", codegen._PYTHON), "<assembled>")


def assert_same_code(graph: Graph) -> None:
    got, expected = assembled(graph), compiled_from_source(graph)
    assert instructions(got) == instructions(expected), python_source(graph)
    assert got.co_stacksize == expected.co_stacksize
    assert sorted(got.co_varnames) == sorted(expected.co_varnames)
    assert got.co_varnames[: got.co_argcount] == expected.co_varnames[: expected.co_argcount]
    assert got.co_flags == expected.co_flags


def optimized(graph: Graph) -> Graph:
    """``graph`` with its constants folded, as the modes compile graphs (CPython's compiler
    folds constant subexpressions too, so only folded graphs compare instruction for
    instruction; unfolded ones are checked on their results, in tests/test_codegen.py)."""
    return optimize(graph, SINGLE_SWEEP)[0]


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_each_op_template_knows_its_stack_use(op):
    """A template's own depth is CPython's stack size for it alone, and an operand evaluated
    at base height b that needs d makes the whole need b + d (here d = 3: ``x * (y * z)``)."""
    form = codegen._form(codegen.python_template(op))
    names = [f"a{position}" for position in range(op.arity)]
    alone = bytecode.function_code(
        f"def f({', '.join(names)}):\n    return {form.template.format(*names)}\n", "<op>"
    )
    found = bytecode.template(form.template, op.arity)
    assert found.depth == alone.co_stacksize
    for position in range(op.arity):
        if not form.once[position]:
            continue
        deep = list(names)
        deep[position] = "(x * (y * z))"
        nested = bytecode.function_code(
            f"def f(x, y, z, {', '.join(names)}):\n    return {form.template.format(*deep)}\n",
            "<op>",
        )
        assert max(found.depth, found.bases[position] + 3) == nested.co_stacksize


@given(graphs())
def test_assembled_code_is_what_compile_writes(graph):
    assert_same_code(optimized(graph))


@pytest.mark.parametrize("chain", [False, True], ids=["some-dead", "all-live"])
def test_large_graphs_assemble_as_compile_writes_them(chain):
    for seed in range(3):
        assert_same_code(optimized(random_graph(2_000, seed=seed, chain=chain)))


def test_many_locals_constants_and_outputs_take_extended_arguments():
    """Over 256 locals and constants (EXTENDED_ARG prefixes) and over 30 outputs (CPython
    then builds the tuple through a list)."""
    builder = GraphBuilder()
    x = builder.input("x")
    values = [builder.ops.mul(x, builder.constant(1.0 + i / 512)) for i in range(300)]
    total = values[0]
    for value in values[1:]:
        total = builder.ops.add(total, value)
    graph = builder.build([total, *values])
    code = assembled(graph)
    assert len(code.co_varnames) > 256 and len(code.co_consts) > 256
    assert_same_code(graph)
    point = (0.75,)
    assert compile_python(graph)(*point) == evaluate(graph, point)


def test_a_long_jump_takes_an_extended_argument():
    """`(0.0 if test else <MAX_FUSED_OPS - 2 calls>)` whose calls read constants numbered
    over 255: the jump over the else branch is longer than 255 code units."""
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    constants = [builder.constant(1.0 + i / 512) for i in range(300)]
    total = x
    for constant in constants:  # statements that number the constants first
        total = builder.ops.mul(total, constant)
    branch = y
    for constant in constants[-(MAX_FUSED_OPS - 2) :]:
        branch = builder.ops.pow(branch, constant)
    graph = builder.build([total, builder.ops.zero_where(builder.ops.le(x, 0.0), branch)])
    jumps = [i for i in dis.get_instructions(assembled(graph)) if i.opname == "JUMP_FORWARD"]
    assert max(jump.arg for jump in jumps) > 255
    assert_same_code(graph)
    compiled = compile_python(graph)
    for point in ((1.0, 0.5), (-1.0, 0.5)):
        assert compiled(*point) == evaluate(graph, point)


@pytest.mark.parametrize(
    "outputs",
    [(2.5,), (2.5, -0.0), (math.inf,), (-math.inf, 1.0), (math.nan, 0.0)],
    ids=["one-constant", "constants", "inf", "minus-inf", "nan"],
)
def test_constant_outputs_are_written_as_compile_writes_them(outputs):
    """All finite constants: one folded tuple; inf and nan are names (not literals)."""
    builder = GraphBuilder()
    builder.input("x")
    graph = builder.build([builder.constant(value) for value in outputs])
    assert_same_code(graph)
    got = compile_python(graph)(1.0)
    assert list(map(struct.pack, ["<d"] * len(got), got)) == [
        struct.pack("<d", value) for value in outputs
    ]


def test_the_source_is_written_only_when_read_and_tracebacks_show_it():
    builder = GraphBuilder()
    x, y = builder.input("x"), builder.input("y")
    graph = builder.build([builder.ops.div(builder.ops.mul(x, y), y)])
    compiled = compile_python(graph)
    assert "source" not in compiled.__dict__  # assembled: no text yet
    assert linecache.getline(compiled.filename, 2) == "    s0 = _div(x * y, y)\n"
    with pytest.raises(TypeError) as caught:
        compiled.function([1.0], 2.5)
    text = "".join(traceback.format_exception(caught.value))
    assert f'File "{compiled.filename}", line 2, in compiled' in text
    assert "s0 = _div(x * y, y)" in text
    assert compiled.source == python_source(graph)
    gradient = reverse(graph)  # named outputs: a "# returns:" line
    assert compile_python(gradient, name="g").source == python_source(gradient, name="g")


def test_a_graph_with_an_op_from_outside_the_table_keeps_its_source_at_once():
    builder = GraphBuilder()
    x = builder.input("x")
    own_sin = dataclasses.replace(OPS["sin"])  # equal to the table's sin, not the same object
    graph = builder.build([builder.apply(own_sin, x)])
    with pytest.raises(GraphError, match="not the op table's"):
        graph.to_bytes()
    compiled = compile_python(graph)
    assert compiled.__dict__["source"] == python_source(graph)
    assert compiled(0.5) == (math.sin(0.5),)


def test_without_the_assembler_the_source_is_compiled(monkeypatch):
    monkeypatch.setattr(bytecode, "AVAILABLE", False)
    graph = random_graph(200, seed=1)
    compiled = compile_python(graph)
    assert compiled.__dict__["source"] == python_source(graph)  # written to be compiled
    assert compiled(0.3, -0.7, 1.1) == evaluate(graph, (0.3, -0.7, 1.1))


def test_a_template_the_assembler_cannot_write_is_refused():
    with pytest.raises(bytecode.Unsupported, match="LOAD_ATTR"):
        bytecode.template("{0}.real", 1)
    with pytest.raises(bytecode.Unsupported, match="does not write BUILD_TUPLE"):
        bytecode.template("({0}, {0})[0]", 1)
    with pytest.raises(bytecode.Unsupported, match="does not compile to one expression"):
        bytecode.template("[{0} for _ in ()]", 1)
