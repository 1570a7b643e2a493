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
  operators ``+ - *``, unary ``-``, comparisons, selects, relu) is written inline; every other op
  calls its ``forward`` function, bound as ``specialize.forward_name(op)`` (``_div``,
  ``_exp``), so division by zero, ``log(0)`` or ``exp(1000)`` give IEEE results instead of
  Python exceptions. The result is bit for bit what calling ``op.forward`` node by node
  gives. Where the table also gives a ``fast_forward`` (a C function, ``math.pow`` for
  ``_pow``, that raises where ``forward`` returns an IEEE special), the compiled function
  runs the same code object with those bound instead, and reruns it with the ``forward``
  functions if anything raised: a Python-level call less per op, the same bits. The NumPy
  variant writes each op's ``numpy_syntax``: bit for bit too, except where
  NumPy's own math library rounds differently (its SIMD ``tanh``, within 2 ulp; measured in
  tests/test_codegen.py).
* **Fusion.** An op node read once, by another node, is written inside its reader's
  expression, so a chain of single-use ops becomes one statement. A statement holds at most
  :data:`MAX_FUSED_OPS` ops, which also bounds the nesting depth far below what Python's
  parser accepts. An operand that an op's template writes twice (relu is
  ``(0.0 if x < 0.0 else x)``) is never inlined, so nothing is computed twice. An inlined
  comparison read only for its truth is written as the bare test (``(0.0 if s1 <= 0.0 else
  g)``, not ``(0.0 if (1.0 if s1 <= 0.0 else 0.0) else g)``), and inlined ``+ - * /``
  expressions get parentheses only where Python's precedence needs them. (A conditional
  expression is not inlined where its reader tests it: CPython compiles that into jumps of
  its own.)
* **Memory reuse.** Variables are the slots of a :mod:`refgrad.memory` plan (``s0``, ``s1``,
  ...): a 100,000-node chain needs a handful of locals, and intermediates are freed (NumPy
  arrays included) as soon as their last reader has run.

Constants are written as literals (``inf`` and ``nan`` are names bound beside the function;
a nan with another bit pattern gets a name of its own, so even its payload survives). Nodes no
output needs are not computed. Generated functions are registered with :mod:`linecache`
under a unique file name (``<refgrad-compiled-3>.py``), so tracebacks show the generated lines.

**No** ``compile()`` **on CPython 3.11.** :func:`compile_python` writes the function's bytecode
directly (:func:`_assemble`, :mod:`refgrad.bytecode`): the code object compiling the source
would give, instruction for instruction and line for line, at a fraction of the cost
(``compile()`` was a third of the first call). The source text is then written only when
someone reads ``.source`` or a traceback shows a line. Elsewhere, and for NumPy code, the
source is written and compiled.

NumPy is imported only when a NumPy function is compiled, never by ``import refgrad``.
"""

from __future__ import annotations

import dis
import functools
import itertools
import keyword
import linecache
import math
import numbers
import re
import struct
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refgrad import bytecode
from refgrad.graph import Graph, GraphError, Node
from refgrad.memory import MemoryPlan, needed_nodes_and_uses, plan_memory
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
class _Layout:
    """How a graph becomes code, decided once for both writers (source text and bytecode):
    which nodes are computed, which are written inside their reader's expression, which slot
    holds each of the others, and the parameter and constant names."""

    graph: Graph
    name: str
    forms: dict[Op, _Form]
    needed: list[bool]
    inlined: frozenset[int]
    plan: MemoryPlan
    parameters: tuple[str, ...]
    constants: dict[str, float]  # the names inf, nan, ... that the code reads


def python_source(graph: Graph, name: str = "compiled") -> str:
    """Straight-line Python computing ``graph`` on floats: ``def name(inputs): ... return``.

    The function takes one float per input (in ``graph.inputs`` order) and returns a tuple
    of floats, one per output. It reads the names ``_<op>`` (each op's ``forward``), ``inf``
    and ``nan``; :func:`compile_python` binds them.
    """
    return _source(_layout(graph, name, _PYTHON))


def numpy_source(graph: Graph, name: str = "compiled") -> str:
    """Straight-line NumPy code computing ``graph`` elementwise over 1-D float64 arrays.

    Outputs that do not depend on an input come back as numbers (or 0-d arrays);
    :func:`compile_numpy`'s wrapper broadcasts them to the batch length.
    """
    return _source(_layout(graph, name, _NUMPY))


def _layout(graph: Graph, name: str, target: _Target) -> _Layout:
    constants = _constant_names(graph)
    reserved = target.global_names | set(constants)
    if not name.isidentifier() or keyword.iskeyword(name) or name in reserved:
        raise ValueError(f"cannot name the generated function {name!r}")
    needed, uses = needed_nodes_and_uses(graph)
    forms = {op: _form(target.template(op)) for op in graph.used_ops()}
    inlined = _plan_fusion(graph, forms, needed, uses)
    plan = plan_memory(
        graph, inlined=inlined, skip_dead=True, slot_inputs=False, needed=needed, uses=uses
    )
    parameters = _parameter_names(graph, reserved)
    return _Layout(graph, name, forms, needed, inlined, plan, parameters, constants)


def _source(layout: _Layout) -> str:
    """The layout written as Python source: one line per statement."""
    graph, inlined, forms, needed = layout.graph, layout.inlined, layout.forms, layout.needed
    # How each node is read: its parameter, literal, slot or (if inlined) its expression,
    # with how tightly that expression binds (see _Form) to parenthesize it where needed.
    texts = dict(zip((node.index for node in graph.inputs), layout.parameters, strict=True))
    bindings: dict[int, int] = {}
    # An inlined comparison also as the bare test (`s1 <= 0.0`), for a reader that only
    # tests its truth: `(0.0 if s1 <= 0.0 else g)`, not `(0.0 if (1.0 if ...) else g)`.
    conditions: dict[int, str] = {}
    slot_of = layout.plan.slot_of
    lines = [f"def {layout.name}({', '.join(layout.parameters)}):"]
    for node in graph.nodes:
        index = node.index
        if node.op is None:
            if node.name is None:  # a constant
                texts[index] = _literal(node.value)
        elif needed[index]:
            form = forms[node.op]
            filled = _fill(form, node.operands, texts, inlined, bindings, conditions)
            expression = form.template.format(*filled)
            if index in inlined:
                texts[index] = expression
                bindings[index] = form.binding
                if form.condition is not None:
                    conditions[index] = form.condition.format(*filled)
            else:
                slot = f"s{slot_of[index]}"
                lines.append(f"    {slot} = {expression}")
                texts[index] = slot
    if graph.output_names:  # names are any text: keep each on the comment's one line
        names = (" ".join(str(name).split()) for name in graph.output_names)
        lines.append(f"    # returns: {', '.join(names)}")
    results = [texts[node.index] for node in graph.outputs]
    lines.append(f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})")
    return "\n".join(lines) + "\n"


def _assemble(layout: _Layout, filename: str) -> types.CodeType:
    """The layout written straight as bytecode (see refgrad.bytecode): the code object that
    compiling :func:`_source`'s text gives, line numbers included, without ``compile()``.

    Raises bytecode.Unsupported where an op's template holds an instruction the assembler
    does not write.
    """
    graph, inlined, needed = layout.graph, layout.inlined, layout.needed
    function = bytecode.Function(layout.name, layout.parameters, filename)
    bind = function.bind
    templates = {
        op: bind(bytecode.template(f.template, op.arity)) for op, f in layout.forms.items()
    }
    # An inlined comparison read only for its truth is its bare test (see _source).
    tests = {op: form.tests for op, form in layout.forms.items()}
    conditions = {
        op: bind(bytecode.template(form.condition, op.arity))
        for op, form in layout.forms.items()
        if form.condition is not None
    }
    # How each node is read: a load's code; for an inlined node, its operands' code and
    # stack depths (its own code is made where its reader decides: value or bare test).
    # Lists by node index: this loop runs per node.
    codes: list = [None] * len(graph.nodes)
    for node, parameter in zip(graph.inputs, layout.parameters, strict=True):
        codes[node.index] = function.local(parameter)
    slot_names = [f"s{slot}" for slot in range(layout.plan.slot_count)]
    slot_of = layout.plan.slot_of
    apply, depth, assign, local = function.apply, function.depth, function.assign, function.local
    line = 1
    for node in graph.nodes:
        index = node.index
        op = node.op
        if not needed[index]:  # (dead constants too: no entry in co_consts)
            continue
        if op is None:
            if node.name is None:
                codes[index] = _constant_code(function, node.value)
            continue
        operands = []
        depths = None  # the operands' stack depths, once one is an expression (a load's is 1)
        for position, operand in enumerate(node.operands):
            at = operand.index
            if at in inlined:
                inner_codes, inner_depths = codes[at]
                inner = operand.op
                if position in tests[op] and inner in conditions:
                    bound = conditions[inner]
                else:
                    bound = templates[inner]
                operands.append(apply(bound, inner_codes))
                if depths is None:
                    depths = [1] * position
                depths.append(bound.depth if inner_depths is None else depth(bound, inner_depths))
            else:
                operands.append(codes[at])
                if depths is not None:
                    depths.append(1)
        if index in inlined:
            codes[index] = (operands, depths)
        else:
            slot = slot_names[slot_of[index]]
            line += 1
            bound = templates[op]
            deepest = bound.depth if depths is None else depth(bound, depths)
            assign(slot, apply(bound, operands), deepest, line)
            codes[index] = local(slot)
    line += 1 + bool(graph.output_names)  # the "# returns:" comment takes a line
    outputs = graph.outputs
    folded = None  # CPython folds a tuple of constant literals into one constant
    if all(node.is_constant and math.isfinite(node.value) for node in outputs):
        folded = tuple(node.value for node in outputs)
    return function.finish([codes[node.index] for node in outputs], line, folded)


_UNARY_NEGATIVE = bytecode.instruction(dis.opmap["UNARY_NEGATIVE"])


def _constant_code(function: bytecode.Function, number: float) -> bytes:
    """How :func:`_literal` reads ``number``: a constant, or a name for inf and nan."""
    if math.isnan(number):
        return function.global_(_nan_name(number))
    if math.isinf(number):
        load = function.global_("inf")
        return load if number > 0 else load + _UNARY_NEGATIVE
    return function.constant(number)


def _fill(
    form: _Form,
    operands: tuple[Node, ...],
    texts: dict[int, str],
    inlined: frozenset[int],
    bindings: dict[int, int],
    conditions: dict[int, str],
) -> list[str]:
    """The texts to write for ``operands`` in ``form``, parenthesized where needed."""
    filled = []
    for position, operand in enumerate(operands):
        index = operand.index
        if index not in inlined:
            filled.append(texts[index])
            continue
        # An inlined expression is read exactly once: drop it, so big graphs keep little text.
        text = texts.pop(index)
        condition = conditions.pop(index, None)
        if condition is not None and position in form.tests:
            text = condition
        elif bindings[index] < form.needs[position]:
            text = f"({text})"
        filled.append(text)
    return filled


# ---------------------------------------------------------------------------------------------
# Templates: what an op's template says about how expressions compose inside it.
# ---------------------------------------------------------------------------------------------

ATOMIC = 100
"""How tightly a call or a parenthesized group binds: it needs no parentheses anywhere."""

# Python's own precedences (higher binds tighter) for the templates written with them.
_BINARY_OPERATORS = {"+": 10, "-": 10, "*": 20, "/": 20}  # all left-associative
_UNARY_MINUS = 30


@dataclass(frozen=True)
class _Form:
    """An op's template and how expressions compose with it (worked out once per template).

    ``binding``: how tightly an expression made from the template binds (ATOMIC for a call or
    a parenthesized group, Python's precedence for ``{0} + {1}`` or ``-{0}``, 0 for any other
    shape, which is then always parenthesized inside another op). ``needs[i]``: how tightly an
    expression must bind to stand bare at operand ``i`` (0 for a whole call argument).
    ``once[i]``: operand ``i`` is written once (so it may be inlined there). ``tests``: the
    operands read only for their truth (``(0.0 if {0} else {1})``). ``condition``: for a
    comparison written ``(1.0 if TEST else 0.0)``, the bare ``TEST``. ``testable``: whether an
    expression of this form may be inlined where a reader tests it: not a conditional
    expression unless it has a bare test, because CPython compiles a conditional test
    (``(0.0 if (0.0 if a < 0.0 else a) else g)``) into jumps of its own, other code than the
    assembler (refgrad.bytecode) writes for it.
    """

    template: str
    binding: int
    needs: tuple[int, ...]
    once: tuple[bool, ...]
    tests: frozenset[int]
    condition: str | None
    testable: bool


@functools.cache
def _form(template: str) -> _Form:
    positions = sorted({int(digit) for digit in re.findall(r"\{(\d)\}", template)})
    arguments = _argument_positions(template)
    binary = re.fullmatch(r"\{0\} (\S+) \{1\}", template)
    if _is_atomic(template):
        binding = ATOMIC
    elif binary is not None and binary.group(1) in _BINARY_OPERATORS:
        binding = _BINARY_OPERATORS[binary.group(1)]
    elif template == "-{0}":
        binding = _UNARY_MINUS
    else:
        binding = 0
    if binding == ATOMIC or binding == 0:
        needs = tuple(0 if position in arguments else ATOMIC for position in positions)
    elif binding == _UNARY_MINUS:
        needs = (_UNARY_MINUS,)  # -(-x) is --x; -x**2 is -(x**2)
    else:  # left-associative: a - b - c is (a - b) - c, so the right operand binds tighter
        needs = (binding, binding + 1)
    condition = re.fullmatch(r"\(1\.0 if (.*) else 0\.0\)", template)
    conditional = re.fullmatch(r"\(.* if .* else .*\)", template) is not None
    return _Form(
        template,
        binding,
        needs,
        tuple(template.count(f"{{{position}}}") == 1 for position in positions),
        frozenset(int(digit) for digit in re.findall(r"\bif \{(\d)\} else\b", template)),
        None if condition is None else condition.group(1),
        condition is not None or not conditional,
    )


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
    graph: Graph, forms: dict[Op, _Form], needed: list[bool], uses: list[int]
) -> frozenset[int]:
    """The op nodes to write inside their reader's expression.

    A node qualifies if it is read exactly once, by an op node (so it is no output), at an
    operand its reader's template writes once (and, where the reader tests its truth, if its
    form is testable), and the reader's statement stays within :data:`MAX_FUSED_OPS` ops.
    Operands are taken greedily in order; one forward pass.
    """
    size = [0] * len(graph.nodes)  # ops in the expression that computes each node
    inlined: set[int] = set()
    for node in graph.nodes:
        if node.op is None or not needed[node.index]:
            continue
        form = forms[node.op]
        total = 1
        for position, operand in enumerate(node.operands):
            if (
                operand.op is not None
                and uses[operand.index] == 1
                and form.once[position]
                and total + size[operand.index] <= MAX_FUSED_OPS
                and (position not in form.tests or forms[operand.op].testable)
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
        value = node.value  # None but for constants; only nan is unequal to itself
        if value is not None and value != value:
            names[_nan_name(value)] = value
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


def _code_object(
    layout: _Layout, filename: str, assemble: bool
) -> tuple[types.CodeType, str | None]:
    """The generated function's code object, and its source if that was written to make it.

    With ``assemble``, where the assembler serves this interpreter (refgrad.bytecode), the
    bytecode is written directly and the source only when someone asks (None here); otherwise
    the source is written and compiled.
    """
    if assemble and bytecode.AVAILABLE:
        try:
            return _assemble(layout, filename), None
        except bytecode.Unsupported:
            pass
    source = _source(layout)
    return bytecode.function_code(source, filename), source


class _Compiled:
    """What both compiled kinds share: the code, its source, the memory plan, the linecache
    entry.

    The file name (``<refgrad-compiled-3>.py``) is registered with :mod:`linecache` as a lazy
    entry, so tracebacks and ``inspect`` show the generated lines, and a function whose
    bytecode was assembled writes its source text only then, or when ``.source`` is read.
    (linecache serves lazy entries only for names not in angle brackets, hence the ``.py``.)
    """

    def __init__(self, layout: _Layout, *namespaces: dict[str, Any], assemble: bool = False):
        self.plan = layout.plan
        self.input_names = tuple(node.name for node in layout.graph.inputs)
        self.name = layout.name
        self.filename = f"<refgrad-compiled-{next(_file_numbers)}>.py"
        code, source = _code_object(layout, self.filename, assemble)
        if source is not None:
            self.source = source
        else:  # until the source is asked for: the graph, packed (see Graph.to_bytes)
            try:
                self._graph = layout.graph.to_bytes()
            except GraphError:  # an op from outside the table: write the source now
                self.source = _source(layout)
        self.functions = [types.FunctionType(code, namespace) for namespace in namespaces]
        self.function = self.functions[0]
        linecache.cache[self.filename] = (functools.partial(_source_of, weakref.ref(self)),)
        # The linecache entry lives as long as this object (tracebacks need it, nothing else).
        weakref.finalize(self, linecache.cache.pop, self.filename, None)

    @functools.cached_property
    def source(self) -> str:
        """The generated code's text (written now if the bytecode was assembled)."""
        source = python_source(Graph.from_bytes(self._graph), self.name)
        del self._graph
        return source

    def _check_count(self, inputs: tuple) -> None:
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"{self.name}() takes {len(self.input_names)} inputs "
                f"({', '.join(self.input_names)}), got {len(inputs)}"
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}({', '.join(self.input_names)}): {self.plan}>"


def _source_of(compiled: weakref.ref) -> str | None:
    """linecache's lazy loader: the source of a compiled function, None once it is gone."""
    alive = compiled()
    return None if alive is None else alive.source


_FAST_FORWARDS = {forward_name(op): op.fast_forward for op in OPS.values() if op.fast_forward}
"""The C functions compiled code tries first, by the name the code calls (see ops.Op)."""


class CompiledFunction(_Compiled):
    """A graph compiled to a Python function over floats.

    ``compiled(*floats)`` returns a tuple of floats, one per output. ``.function`` is the
    generated function itself, calling each op's IEEE ``forward`` (no argument checks).
    ``.unchecked`` is the fastest call (no checks either): where the op table gives an op a
    ``fast_forward`` (a C function that raises where ``forward`` returns an IEEE special),
    the same code runs with it, and again as ``.function`` if that raises; the results are
    ``.function``'s, bit for bit. ``.source`` is the code's text, ``.plan`` the memory plan
    and ``.filename`` its linecache name.
    """

    def __init__(self, layout: _Layout, namespace: dict[str, Any]) -> None:
        called = {forward_name(op) for op in layout.forms}
        if called.isdisjoint(_FAST_FORWARDS):
            super().__init__(layout, namespace, assemble=True)
            self.unchecked = self.function
        else:
            fast = {**namespace, **_FAST_FORWARDS}
            super().__init__(layout, namespace, fast, assemble=True)
            self.unchecked = _fast_then_safe(self.functions[1], self.function)

    def __call__(self, *inputs: float) -> tuple[float, ...]:
        self._check_count(inputs)
        if all(type(number) is float for number in inputs):
            return self.unchecked(*inputs)
        return self.unchecked(*map(_as_float, inputs, self.input_names))


def _fast_then_safe(fast: Callable, safe: Callable) -> Callable[..., tuple[float, ...]]:
    """``fast(*inputs)``, or ``safe(*inputs)`` where ``fast`` raises (generated code is pure,
    so running it twice is harmless)."""

    def call(*inputs: float) -> tuple[float, ...]:
        try:
            return fast(*inputs)
        except (ArithmeticError, ValueError):
            return safe(*inputs)

    return call


def _as_float(number: object, name: str) -> float:
    if isinstance(number, numbers.Real):
        return float(number)
    raise TypeError(f"input {name!r} must be a real number, got {number!r}")


def compile_python(graph: Graph, name: str = "compiled") -> CompiledFunction:
    """Compile ``graph`` as :func:`python_source` writes it; see :class:`CompiledFunction`."""
    layout = _layout(graph, name, _PYTHON)
    namespace: dict[str, Any] = {forward_name(op): op.forward for op in OPS.values()}
    namespace.update(layout.constants)
    return CompiledFunction(layout, namespace)


class CompiledNumpyFunction(_Compiled):
    """A graph compiled to NumPy code: one call evaluates it at a whole batch of points.

    ``compiled(*arrays)`` takes one 1-D array per input, all of one length ``n`` (anything
    ``np.asarray`` turns into float64), and returns a tuple of new float64 arrays of length
    ``n``, one per output (outputs that do not depend on an input are broadcast; none aliases
    an input or another output). A graph without inputs needs ``size=n``. NumPy's floating
    point warnings are off during the call: inf and nan are results, not errors.
    """

    def __init__(self, layout: _Layout, namespace: dict[str, Any]) -> None:
        super().__init__(layout, namespace)
        self._np = namespace["np"]

    def __call__(self, *inputs: Any, size: int | None = None) -> tuple[Any, ...]:
        np = self._np
        self._check_count(inputs)
        arrays = [np.asarray(array, dtype=np.float64) for array in inputs]
        length = self._batch_length(arrays, size)
        with np.errstate(all="ignore"):
            results = self.function(*arrays)
        # Ids of the arrays a result must not alias: the inputs (alive in `arrays`, so their
        # ids stay theirs) and the results already handed out. A set: an MLP has 50,000 inputs.
        taken: set[int] = set(map(id, arrays))
        finished = []
        for result in results:
            reusable = (
                type(result) is np.ndarray and result.shape == (length,) and id(result) not in taken
            )
            if not reusable:
                result = np.array(np.broadcast_to(result, (length,)), dtype=np.float64)
            taken.add(id(result))
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

    layout = _layout(graph, name, _NUMPY)
    namespace: dict[str, Any] = {"np": numpy}
    namespace.update(layout.constants)
    return CompiledNumpyFunction(layout, namespace)
