"""Code generation: a :class:`~refgrad.graph.Graph` as straight-line Python (or NumPy) source.

Interpreting a graph costs a dispatch per node; generated code costs only the op. For a graph

    def graph(x, y):
        v2 = x * y
        v3 = v2.exp()
        v4 = v3 + x
        v5 = v4 / y
        return v5, v2

:func:`python_source` writes

    def compiled(x, y):
        s0 = x * y
        s1 = _div(_exp(s0) + x, y)
        return (s1, s0)

Three choices shape the code:

* **Meaning comes from the op table.** An op with a ``float_syntax`` (the IEEE-exact Python
  operators ``+ - *``, unary ``-``, comparisons, selects) is written inline; every other op
  calls its ``forward`` function, bound as ``specialize.forward_name(op)`` (``_div``,
  ``_exp``), so division by zero, ``log(0)`` or ``exp(1000)`` give IEEE results instead of
  Python exceptions. The result is bit for bit what calling ``op.forward`` node by node
  gives. The NumPy variant writes each op's ``numpy_syntax``: bit for bit too, except where
  NumPy's own math library rounds differently (its SIMD ``tanh``, within 2 ulp; measured in
  tests/test_codegen.py).
* **Fusion.** An op node read once, by another node, is written inside its reader's
  expression, so a chain of single-use ops becomes one statement. A statement holds at most
  :data:`MAX_FUSED_OPS` ops, which also bounds the nesting depth far below what Python's
  parser accepts. An operand that an op's template writes twice (NumPy's relu is
  ``np.where(x < 0.0, 0.0, x)``) is never inlined, so nothing is computed twice.
* **Memory reuse.** Variables are the slots of a :mod:`refgrad.memory` plan (``s0``, ``s1``,
  ...): a 100,000-node chain needs a handful of locals, and intermediates are freed (NumPy
  arrays included) as soon as their last reader has run.

Constants are written as literals (``inf`` and ``nan`` are names bound beside the function;
a nan with another bit pattern gets a name of its own, so even its payload survives). Nodes no
output needs are not computed. Generated functions are registered with :mod:`linecache`
under a unique file name (``<refgrad-compiled-3>``), so tracebacks show the generated lines.

NumPy is imported only when a NumPy function is compiled, never by ``import refgrad``.
"""

from __future__ import annotations

import functools
import itertools
import keyword
import linecache
import math
import numbers
import re
import struct
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refgrad.graph import Graph, GraphError, Node
from refgrad.memory import MemoryPlan, needed_nodes, plan_memory, use_counts
from refgrad.ops import OPS, Op
from refgrad.specialize import forward_name

MAX_FUSED_OPS = 20
"""The most ops one generated statement computes (so also its deepest nesting)."""

_SLOT = re.compile(r"s[0-9]+")
_CANONICAL_NAN = struct.pack("<d", math.nan)
_file_numbers = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Targets: how one op is written, and what the generated code's globals are.
# ---------------------------------------------------------------------------------------------


def python_template(op: Op) -> str:
    """The Python source of ``op`` over floats, with ``{0}``, ``{1}`` for its operands."""
    if op.float_syntax is not None:
        return op.float_syntax
    operands = ", ".join(f"{{{position}}}" for position in range(op.arity))
    return f"{forward_name(op)}({operands})"


def numpy_template(op: Op) -> str:
    """The NumPy source of ``op`` over float64 arrays (``np`` is numpy)."""
    if op.numpy_syntax is None:
        raise GraphError(f"op {op.name!r} has no numpy_syntax in the op table")
    return op.numpy_syntax


@dataclass(frozen=True)
class _Target:
    template: Callable[[Op], str]
    global_names: frozenset[str]  # names the code reads besides its parameters and slots


_PYTHON = _Target(python_template, frozenset({forward_name(op) for op in OPS.values()}))
_NUMPY = _Target(numpy_template, frozenset({"np"}))


# ---------------------------------------------------------------------------------------------
# Generation.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Generated:
    source: str
    plan: MemoryPlan
    parameters: tuple[str, ...]
    constants: dict[str, float]  # the names inf, nan, ... that the source reads


def python_source(graph: Graph, name: str = "compiled") -> str:
    """Straight-line Python computing ``graph`` on floats: ``def name(inputs): ... return``.

    The function takes one float per input (in ``graph.inputs`` order) and returns a tuple
    of floats, one per output. It reads the names ``_<op>`` (each op's ``forward``), ``inf``
    and ``nan``; :func:`compile_python` binds them.
    """
    return _generate(graph, name, _PYTHON).source


def numpy_source(graph: Graph, name: str = "compiled") -> str:
    """Straight-line NumPy code computing ``graph`` elementwise over 1-D float64 arrays.

    Outputs that do not depend on an input come back as numbers (or 0-d arrays);
    :func:`compile_numpy`'s wrapper broadcasts them to the batch length.
    """
    return _generate(graph, name, _NUMPY).source


def _generate(graph: Graph, name: str, target: _Target) -> _Generated:
    constants = _constant_names(graph)
    reserved = target.global_names | set(constants)
    if not name.isidentifier() or keyword.iskeyword(name) or name in reserved:
        raise ValueError(f"cannot name the generated function {name!r}")
    needed = needed_nodes(graph)
    uses = use_counts(graph, needed)
    template_of = functools.cache(target.template)  # one lookup per op, not per node
    inlined = _plan_fusion(graph, template_of, needed, uses)
    plan = plan_memory(graph, inlined=inlined, skip_dead=True, slot_inputs=False)
    parameters = _parameter_names(graph, reserved)
    # How each node is read: its parameter, literal, slot or (if inlined) its expression;
    # `grouped` holds the inlined expressions that need parentheses inside an operator.
    texts = {
        node.index: parameter for node, parameter in zip(graph.inputs, parameters, strict=True)
    }
    grouped: set[int] = set()
    lines = [f"def {name}({', '.join(parameters)}):"]
    for node in graph.nodes:
        if node.is_constant:
            texts[node.index] = _literal(node.value)
        elif node.op is not None and needed[node.index]:
            template = template_of(node.op)
            expression = _fill(template, node.operands, texts, inlined, grouped)
            if node.index in inlined:
                texts[node.index] = expression
                if not _is_atomic(template):
                    grouped.add(node.index)
            else:
                slot = f"s{plan.slot_of[node.index]}"
                lines.append(f"    {slot} = {expression}")
                texts[node.index] = slot
    if graph.output_names:  # names are any text: keep each on the comment's one line
        names = (" ".join(str(name).split()) for name in graph.output_names)
        lines.append(f"    # returns: {', '.join(names)}")
    results = [texts[node.index] for node in graph.outputs]
    lines.append(f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})")
    return _Generated("\n".join(lines) + "\n", plan, parameters, constants)


def _fill(
    template: str,
    operands: tuple[Node, ...],
    texts: dict[int, str],
    inlined: frozenset[int],
    grouped: set[int],
) -> str:
    """``template`` with its operands' texts, parenthesized where an operator needs it."""
    arguments = _argument_positions(template)
    filled = []
    for position, operand in enumerate(operands):
        # An inlined expression is read exactly once: drop it, so big graphs keep little text.
        if operand.index in inlined:
            text = texts.pop(operand.index)
            if operand.index in grouped and position not in arguments:
                text = f"({text})"
        else:
            text = texts[operand.index]
        filled.append(text)
    return template.format(*filled)


@functools.cache
def _argument_positions(template: str) -> frozenset[int]:
    """The operands that ``template`` writes only as whole call arguments (``f({0}, {1})``).

    Any expression can stand there without parentheses of its own.
    """
    everywhere = re.findall(r"\{(\d)\}", template)
    as_arguments = re.findall(r"[(,] ?\{(\d)\}(?=[,)])", template)
    return frozenset(
        int(digit)
        for digit in set(everywhere)
        if everywhere.count(digit) == as_arguments.count(digit)
    )


@functools.cache
def _is_atomic(template: str) -> bool:
    """Is every expression made from ``template`` one call or one parenthesized group?

    Then it needs no parentheses of its own where it is inlined (``_exp(s0) + x`` rather
    than ``(_exp(s0)) + x``). Operands are balanced text, so looking at the template suffices.
    """
    head = template.lstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
    if not head.startswith("("):
        return False
    depth = 0
    for position, character in enumerate(head):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0:
            return position == len(head) - 1
    return False


def _plan_fusion(
    graph: Graph, template_of: Callable[[Op], str], needed: list[bool], uses: list[int]
) -> frozenset[int]:
    """The op nodes to write inside their reader's expression.

    A node qualifies if it is read exactly once, by an op node (so it is no output), at an
    operand its reader's template writes once, and the reader's statement stays within
    :data:`MAX_FUSED_OPS` ops. Operands are taken greedily in order; one forward pass.
    """
    size = [0] * len(graph.nodes)  # ops in the expression that computes each node
    inlined: set[int] = set()
    for node in graph.nodes:
        if node.op is None or not needed[node.index]:
            continue
        template = template_of(node.op)
        total = 1
        for position, operand in enumerate(node.operands):
            if (
                operand.op is not None
                and uses[operand.index] == 1
                and template.count(f"{{{position}}}") == 1
                and total + size[operand.index] <= MAX_FUSED_OPS
            ):
                inlined.add(operand.index)
                total += size[operand.index]
        size[node.index] = total
    return frozenset(inlined)


def _parameter_names(graph: Graph, reserved: set[str]) -> tuple[str, ...]:
    """Input names as parameters; a name that would clash gets underscores appended.

    Clashes: Python keywords (``GraphBuilder`` accepts any identifier), the code's globals,
    slot names (``s0``) and each other after renaming.
    """
    taken = set(reserved)
    parameters = []
    for node in graph.inputs:
        parameter = node.name
        if not isinstance(parameter, str) or not parameter.isidentifier():
            raise GraphError(f"input name {parameter!r} is not a Python identifier")
        while keyword.iskeyword(parameter) or parameter in taken or _SLOT.fullmatch(parameter):
            parameter += "_"
        taken.add(parameter)
        parameters.append(parameter)
    return tuple(parameters)


def _constant_names(graph: Graph) -> dict[str, float]:
    """The non-finite constants the code reads by name: inf, nan and other nan payloads."""
    names = {"inf": math.inf, "nan": math.nan}
    for node in graph.nodes:
        if node.is_constant and math.isnan(node.value):
            names[_nan_name(node.value)] = node.value
    return names


def _nan_name(number: float) -> str:
    bits = struct.pack("<d", number)
    return "nan" if bits == _CANONICAL_NAN else f"nan_{bits[::-1].hex()}"


def _literal(number: float) -> str:
    """How a constant is written: ``repr`` round-trips every finite float, -0.0 included."""
    if math.isnan(number):
        return _nan_name(number)
    if math.isinf(number):
        return "inf" if number > 0 else "(-inf)"
    text = repr(float(number))  # float(): a float subclass could print otherwise
    return text if math.copysign(1.0, number) > 0 else f"({text})"


# ---------------------------------------------------------------------------------------------
# Compilation.
# ---------------------------------------------------------------------------------------------


def _load(source: str, name: str, namespace: dict[str, Any]) -> tuple[Callable, str]:
    """Compile ``source`` under a fresh file name that linecache can show; return the function."""
    filename = f"<refgrad-compiled-{next(_file_numbers)}>"
    exec(compile(source, filename, "exec"), namespace)
    # mtime None: linecache.checkcache never evicts it (there is no file to compare with).
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return namespace[name], filename


class _Compiled:
    """What both compiled kinds share: the source, the memory plan, the linecache entry."""

    def __init__(
        self, graph: Graph, generated: _Generated, name: str, namespace: dict[str, Any]
    ) -> None:
        self.source = generated.source
        self.plan = generated.plan
        self.input_names = tuple(node.name for node in graph.inputs)
        self.name = name
        self.function, self.filename = _load(generated.source, name, namespace)
        # The linecache entry lives as long as this object (tracebacks need it, nothing else).
        weakref.finalize(self, linecache.cache.pop, self.filename, None)

    def _check_count(self, inputs: tuple) -> None:
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"{self.name}() takes {len(self.input_names)} inputs "
                f"({', '.join(self.input_names)}), got {len(inputs)}"
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}({', '.join(self.input_names)}): {self.plan}>"


class CompiledFunction(_Compiled):
    """A graph compiled to a Python function over floats.

    ``compiled(*floats)`` returns a tuple of floats, one per output. ``.function`` is the
    generated function itself (no argument checks: the fastest call), ``.source`` its text,
    ``.plan`` the memory plan and ``.filename`` its linecache name.
    """

    def __call__(self, *inputs: float) -> tuple[float, ...]:
        self._check_count(inputs)
        if all(type(number) is float for number in inputs):
            return self.function(*inputs)
        return self.function(*map(_as_float, inputs, self.input_names))


def _as_float(number: object, name: str) -> float:
    if isinstance(number, numbers.Real):
        return float(number)
    raise TypeError(f"input {name!r} must be a real number, got {number!r}")


def compile_python(graph: Graph, name: str = "compiled") -> CompiledFunction:
    """Compile ``graph`` with :func:`python_source`; see :class:`CompiledFunction`."""
    generated = _generate(graph, name, _PYTHON)
    namespace: dict[str, Any] = {forward_name(op): op.forward for op in OPS.values()}
    namespace.update(generated.constants)
    return CompiledFunction(graph, generated, name, namespace)


class CompiledNumpyFunction(_Compiled):
    """A graph compiled to NumPy code: one call evaluates it at a whole batch of points.

    ``compiled(*arrays)`` takes one 1-D array per input, all of one length ``n`` (anything
    ``np.asarray`` turns into float64), and returns a tuple of new float64 arrays of length
    ``n``, one per output (outputs that do not depend on an input are broadcast; none aliases
    an input or another output). A graph without inputs needs ``size=n``. NumPy's floating
    point warnings are off during the call: inf and nan are results, not errors.
    """

    def __init__(
        self, graph: Graph, generated: _Generated, name: str, namespace: dict[str, Any]
    ) -> None:
        super().__init__(graph, generated, name, namespace)
        self._np = namespace["np"]

    def __call__(self, *inputs: Any, size: int | None = None) -> tuple[Any, ...]:
        np = self._np
        self._check_count(inputs)
        arrays = [np.asarray(array, dtype=np.float64) for array in inputs]
        length = self._batch_length(arrays, size)
        with np.errstate(all="ignore"):
            results = self.function(*arrays)
        fresh: set[int] = set()  # ids of the arrays already handed out
        finished = []
        for result in results:
            reusable = (
                type(result) is np.ndarray
                and result.shape == (length,)
                and id(result) not in fresh
                and not any(result is array for array in arrays)
            )
            if not reusable:
                result = np.array(np.broadcast_to(result, (length,)), dtype=np.float64)
            fresh.add(id(result))
            finished.append(result)
        return tuple(finished)

    def _batch_length(self, arrays: list, size: int | None) -> int:
        for name, array in zip(self.input_names, arrays, strict=True):
            if array.ndim != 1:
                raise ValueError(f"input {name!r} must be a 1-D array, got shape {array.shape}")
        lengths = {len(array) for array in arrays}
        if len(lengths) > 1:
            shapes = ", ".join(
                f"{n}: {len(a)}" for n, a in zip(self.input_names, arrays, strict=True)
            )
            raise ValueError(f"inputs must have one length, got {shapes}")
        if size is not None and lengths and lengths != {size}:
            raise ValueError(f"size={size} but the inputs have length {lengths.pop()}")
        if not lengths and size is None:
            raise TypeError(f"{self.name}() has no inputs: pass size= (the batch length)")
        return lengths.pop() if lengths else size


def compile_numpy(graph: Graph, name: str = "compiled") -> CompiledNumpyFunction:
    """Compile ``graph`` with :func:`numpy_source`; see :class:`CompiledNumpyFunction`."""
    import numpy  # here, not at module level: `import refgrad` stays free of numpy

    generated = _generate(graph, name, _NUMPY)
    namespace: dict[str, Any] = {"np": numpy}
    namespace.update(generated.constants)
    return CompiledNumpyFunction(graph, generated, name, namespace)
