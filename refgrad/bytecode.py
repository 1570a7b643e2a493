"""An assembler that writes generated straight-line functions as CPython 3.11 bytecode.

``compile()`` is the largest single cost of compiling a graph: for the gradient of the
1,000-node benchmark DAG (1,100 lines, 2,700 ops) it takes 12-13 ms of the 40, some 11 us a
line, almost all of it in CPython's compiler and assembler rather than its parser. The code
refgrad generates is the simplest Python there is: assignments of expressions built from
loads, arithmetic operators, comparisons, conditional expressions and calls, then one
``return`` of a tuple. Writing its bytecode directly takes a few microseconds a line.

What keeps this honest:

* **Every op's bytecode comes from CPython itself.** An op's template (``{0} * {1}``,
  ``(0.0 if {0} < 0.0 else {0})``, ``_exp({0})``) is compiled once with ``compile()``, and
  its instructions become a :class:`Template`: fixed code with holes for the operands. Only
  the indices of locals, constants and globals, and the lengths of jumps, are filled in here.
* **The result is checked against** ``compile()``: for random graphs, ``tests/test_bytecode.py``
  compares the assembled function with the compiled source instruction by instruction
  (opcode and resolved argument), line by line and in stack size. The assembler writes what
  CPython writes, with two differences that change no instruction: constants and names are
  numbered in the order ops first use them, and the line table has lines only, no columns
  (tracebacks show the line, without carets).
* **Anything else is left to** ``compile()``: another Python version (:data:`AVAILABLE`), or
  a template with an instruction the assembler does not know (:class:`Unsupported`).

The caller (``refgrad.codegen``) walks the graph; this module knows only bytecode.
"""

from __future__ import annotations

import dis
import functools
import struct
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass

AVAILABLE = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
"""Whether this interpreter's bytecode is the one the assembler writes."""

_OPS = dis.opmap
_CACHE_ENTRIES = getattr(dis, "_inline_cache_entries", ())  # (CPython 3.11's, by opcode)
_EXTENDED_ARG = _OPS["EXTENDED_ARG"]
_LOAD_FAST = _OPS["LOAD_FAST"]
_STORE_FAST = _OPS["STORE_FAST"]
_LOAD_CONST = _OPS["LOAD_CONST"]
_LOAD_GLOBAL = _OPS["LOAD_GLOBAL"]
_FORWARD_JUMPS = frozenset(
    _OPS[name]
    for name in ("JUMP_FORWARD", "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE")
    if name in _OPS
)
_PLAIN = frozenset(
    _OPS[name]
    for name in ("BINARY_OP", "UNARY_NEGATIVE", "UNARY_POSITIVE", "COMPARE_OP", "PRECALL", "CALL")
    if name in _OPS
)
_STACK_USE_GUIDELINE = 30  # CPython builds a longer tuple through a list (compile.c)
_NO_COLUMNS = 13  # the 3.11 line table's entry kind for "a line, no columns"


class Unsupported(Exception):
    """A template holds an instruction the assembler does not write; use ``compile()``."""


def instruction(opcode: int, arg: int = 0) -> bytes:
    """One instruction, its EXTENDED_ARG prefixes and its inline cache entries."""
    code = bytes((opcode, arg & 0xFF)) + b"\0\0" * _CACHE_ENTRIES[opcode]
    arg >>= 8
    while arg:
        code = bytes((_EXTENDED_ARG, arg & 0xFF)) + code
        arg >>= 8
    return code


# ---------------------------------------------------------------------------------------------
# Templates: an op's bytecode, as CPython compiles it, with holes for the operands.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hole:
    operand: int


@dataclass(frozen=True)
class _Jump:
    opcode: int
    label: int  # the position in Template.parts of the _Label it goes to


@dataclass(frozen=True)
class _Label:
    pass


@dataclass(frozen=True)
class _Load:
    """An instruction naming a constant or a global, whose index the function decides."""

    opcode: int
    value: object  # the constant, or the global's name
    low_bit: int = 0  # LOAD_GLOBAL's "push NULL first" flag (a call's callee)


@dataclass(frozen=True)
class Template:
    """An expression's bytecode: ``parts`` are bytes (fixed instructions), loads of constants
    and globals, holes (operand ``i`` goes here), jumps and their labels.

    ``depth`` is the most the expression puts on the stack when every operand is one load;
    ``bases[i]`` is the stack height at which operand ``i`` is evaluated, so an operand that
    needs ``d`` makes the expression need ``bases[i] + d``.
    """

    parts: tuple[bytes | _Load | _Hole | _Jump | _Label, ...]
    depth: int
    bases: tuple[int, ...]


@functools.cache
def template(expression: str, arity: int) -> Template:
    """The bytecode of ``expression`` (``{0}``, ``{1}`` for its operands), from ``compile()``.

    Raises :class:`Unsupported` if it holds an instruction the assembler does not write.
    """
    names = [f"_operand{position}" for position in range(arity)]
    source = f"def _template({', '.join(names)}):\n    return {expression.format(*names)}\n"
    function = function_code(source, "<template>")
    instructions = list(dis.get_instructions(function))
    if instructions[0].opname != "RESUME" or instructions[-1].opname != "RETURN_VALUE":
        raise Unsupported(f"{expression!r} does not compile to one expression")
    body = instructions[1:-1]
    labels = {i.offset for i in body if i.is_jump_target}
    parts: list = []
    label_at: dict[int, int] = {}  # offset -> position of its _Label in parts
    jumps: list[tuple[int, int, int]] = []  # (position in parts, opcode, target offset)
    for item in body:
        if item.offset in labels:
            label_at[item.offset] = len(parts)
            parts.append(_Label())
        parts.append(_part(item, jumps, len(parts)))
    end = body[-1].offset + 2 * (1 + _CACHE_ENTRIES[body[-1].opcode]) if body else 0
    if end in labels or any(target == end for _, _, target in jumps):
        label_at[end] = len(parts)
        parts.append(_Label())
    for position, opcode, target in jumps:
        parts[position] = _Jump(opcode, label_at[target])
    bases, depth = _stack_heights(parts, arity)
    return Template(tuple(parts), depth, bases)


def function_code(source: str, filename: str) -> types.CodeType:
    """The code object of the one function ``source`` defines, by ``compile()``."""
    module = compile(source, filename, "exec")
    (code,) = (constant for constant in module.co_consts if isinstance(constant, types.CodeType))
    return code


def _part(item: dis.Instruction, jumps: list, position: int):
    opcode = item.opcode
    if opcode == _LOAD_FAST and item.argval.startswith("_operand"):
        return _Hole(int(item.argval.removeprefix("_operand")))
    if opcode == _LOAD_CONST:
        return _Load(opcode, item.argval)
    if opcode == _LOAD_GLOBAL:
        return _Load(opcode, item.argval, item.arg & 1)
    if opcode in _FORWARD_JUMPS and item.argval > item.offset:
        jumps.append((position, opcode, item.argval))
        return None  # replaced once every label is known
    if opcode in _PLAIN:
        return instruction(opcode, item.arg or 0)
    raise Unsupported(f"the assembler does not write {item.opname}")


def _stack_heights(parts: list, arity: int) -> tuple[tuple[int, ...], int]:
    """Each operand's base height and the template's own peak (operands as one load each)."""
    height, peak = 0, 0
    bases = [0] * arity
    at_label: dict[int, int] = {}
    reachable = True
    for position, part in enumerate(parts):
        if isinstance(part, _Label):
            if not reachable:
                height = at_label[position]
            reachable = True
            continue
        if not reachable:
            continue
        if isinstance(part, _Hole):
            bases[part.operand] = height
            height += 1
        elif isinstance(part, _Load):
            height += 1 + part.low_bit
        elif isinstance(part, _Jump):
            height += dis.stack_effect(part.opcode, 0, jump=True)
            at_label.setdefault(part.label, height)
            reachable = part.opcode != _OPS["JUMP_FORWARD"]
        else:
            opcode, arg = _decoded(part)
            height += dis.stack_effect(opcode, arg if opcode >= dis.HAVE_ARGUMENT else None)
        peak = max(peak, height)
    return tuple(bases), peak


def _decoded(code: bytes) -> tuple[int, int]:
    """The opcode and argument of the one instruction in ``code`` (prefixes folded in, cache
    entries after it ignored)."""
    arg = 0
    for offset in range(0, len(code), 2):
        arg = arg << 8 | code[offset + 1]
        if code[offset] != _EXTENDED_ARG:
            return code[offset], arg
    raise ValueError("no instruction")


# ---------------------------------------------------------------------------------------------
# Assembling a function.
# ---------------------------------------------------------------------------------------------


class Bound:
    """A :class:`Template` made ready for one function: its constants and globals given that
    function's indices.

    Without jumps, ``fmt`` is its code as a bytes format, ``%b`` where operand ``order[i]``
    goes (a C-level fill, the fastest way to build it). With jumps, ``fmt`` is None and
    ``parts`` holds bytes (fixed code), ints (operand positions), ``(opcode, position of the
    label)`` for a jump and None for a label; see :func:`_fill_jumps`.
    """

    __slots__ = ("bases", "depth", "fmt", "order", "parts")

    def __init__(self, parts: tuple, template: Template, jumps: bool) -> None:
        self.parts = parts
        self.bases = template.bases
        self.depth = template.depth
        self.order = tuple(part for part in parts if type(part) is int)
        self.fmt = None
        if not jumps:
            self.fmt = b"".join(
                b"%b" if type(part) is int else part.replace(b"%", b"%%") for part in parts
            )


class Function:
    """A generated function under assembly: statements in order, then :meth:`finish`.

    Line numbers count as in the generated source: the ``def`` is line 1.
    """

    def __init__(self, name: str, parameters: Sequence[str], filename: str) -> None:
        self.name = name
        self.filename = filename
        self.parameters = tuple(parameters)
        self._locals: dict[str, int] = {name: i for i, name in enumerate(self.parameters)}
        self._loads: dict[str, tuple[bytes, int]] = {}  # LOAD_FAST by local name
        self._stores: dict[str, bytes] = {}  # STORE_FAST by local name
        self._constants: dict[bytes, int] = {}
        self._constant_values: list[object] = [None]  # a function without a docstring
        self._names: dict[str, int] = {}
        self._code = bytearray()
        self._lines = bytearray()
        self._line = 1
        self._emit(instruction(_OPS["RESUME"], 0), 1)  # on the def line
        self._depth = 0

    # Expressions -----------------------------------------------------------------------------
    # An expression is its code (bytes); its stack depth is worked out apart (:meth:`depth`),
    # and only where an operand is itself an expression: a load's depth is 1.

    def local(self, name: str) -> bytes:
        load = self._loads.get(name)
        if load is None:
            load = self._loads[name] = instruction(_LOAD_FAST, self._local(name))
        return load

    def constant(self, value: float) -> bytes:
        return instruction(_LOAD_CONST, self._constant(value))

    def global_(self, name: str) -> bytes:
        return instruction(_LOAD_GLOBAL, self._name(name) << 1)

    def bind(self, template: Template) -> Bound:
        """``template`` with this function's indices for its constants and globals."""
        parts: list = []
        label_positions: dict[int, int] = {}  # a label's position in template.parts -> in parts
        for position, part in enumerate(template.parts):
            if isinstance(part, _Load):
                if part.opcode == _LOAD_CONST:
                    index = self._constant(part.value)
                else:
                    index = self._name(part.value) << 1 | part.low_bit
                part = instruction(part.opcode, index)
            if isinstance(part, _Hole):
                parts.append(part.operand)
            elif isinstance(part, _Jump):
                parts.append(part)
            elif isinstance(part, _Label):
                label_positions[position] = len(parts)
                parts.append(None)
            elif parts and isinstance(parts[-1], bytes):
                parts[-1] += part
            else:
                parts.append(part)
        jumps = False
        for position, part in enumerate(parts):
            if isinstance(part, _Jump):
                parts[position] = (part.opcode, label_positions[part.label])
                jumps = True
        return Bound(tuple(parts), template, jumps or bool(label_positions))

    @staticmethod
    def apply(bound: Bound, operands: Sequence[bytes]) -> bytes:
        """The code of the expression ``bound`` makes of ``operands`` (their code)."""
        fmt, order = bound.fmt, bound.order
        if fmt is not None:  # (no comprehensions here: each is a call in CPython 3.11)
            if len(order) == 2:
                return fmt % (operands[order[0]], operands[order[1]])
            if len(order) == 1:
                return fmt % (operands[order[0]],)
        chunks = []
        for part in bound.parts:
            chunks.append(operands[part] if type(part) is int else part)
        if fmt is None:
            _fill_jumps(chunks)
        return b"".join(chunks)

    @staticmethod
    def depth(bound: Bound, operand_depths: Sequence[int] | None) -> int:
        """The stack depth of ``bound``'s expression over operands of ``operand_depths``
        (None: every operand a load)."""
        depth = bound.depth
        if operand_depths is not None:
            for base, needs in zip(bound.bases, operand_depths, strict=True):
                if base + needs > depth:
                    depth = base + needs
        return depth

    # Statements ------------------------------------------------------------------------------

    def assign(self, name: str, code: bytes, depth: int, line: int) -> None:
        """``name = <code>``, an expression ``depth`` deep, on ``line``."""
        store = self._stores.get(name)
        if store is None:
            store = self._stores[name] = instruction(_STORE_FAST, self._local(name))
        self._emit(code + store, line)
        if depth > self._depth:
            self._depth = depth

    def finish(
        self, results: Sequence[bytes], line: int, constants: tuple[float, ...] | None = None
    ) -> types.CodeType:
        """``return (results...)`` as CPython writes that tuple (each result is a load), and
        the code object.

        ``constants``: the results' values if every one is a constant literal, which CPython
        folds into one constant tuple.
        """
        if constants is not None:
            self._constant_values.append(constants)
            code, depth = instruction(_LOAD_CONST, len(self._constant_values) - 1), 1
        elif len(results) > _STACK_USE_GUIDELINE:
            append = instruction(_OPS["LIST_APPEND"], 1)
            code = instruction(_OPS["BUILD_LIST"], 0) + append.join(results) + append
            code, depth = code + instruction(_OPS["LIST_TO_TUPLE"]), 2
        else:
            code = b"".join(results) + instruction(_OPS["BUILD_TUPLE"], len(results))
            depth = len(results)
        self._emit(code + instruction(_OPS["RETURN_VALUE"]), line)
        self._depth = max(self._depth, depth)
        names = tuple(self._locals)
        return _TEMPLATE_CODE.replace(
            co_argcount=len(self.parameters),
            co_nlocals=len(names),
            co_stacksize=self._depth,
            co_code=bytes(self._code),
            co_consts=tuple(self._constant_values),
            co_names=tuple(self._names),
            co_varnames=names,
            co_filename=self.filename,
            co_name=self.name,
            co_qualname=self.name,
            co_firstlineno=1,
            co_linetable=bytes(self._lines),
            co_exceptiontable=b"",
        )

    # Internals -------------------------------------------------------------------------------

    def _emit(self, code: bytes, line: int) -> None:
        self._code += code
        self._lines += _line_entries(len(code) // 2, line - self._line)
        self._line = line

    def _local(self, name: str) -> int:
        index = self._locals.get(name)
        if index is None:
            index = self._locals[name] = len(self._locals)
        return index

    def _constant(self, value: float) -> int:
        # Keyed by bit pattern: 0.0 and -0.0 are two constants (as in CPython's own table).
        key = struct.pack("<d", value)
        index = self._constants.get(key)
        if index is None:
            index = self._constants[key] = len(self._constant_values)
            self._constant_values.append(value)
        return index

    def _name(self, name: str) -> int:
        index = self._names.get(name)
        if index is None:
            index = self._names[name] = len(self._names)
        return index


@functools.lru_cache(maxsize=4096)
def _line_entries(units: int, delta: int) -> bytes:
    """Line-table entries for ``units`` code units on a line ``delta`` after the last one:
    at most 8 units an entry, the delta in the first."""
    entries = bytearray()
    while units > 0:
        length = min(units, 8)
        entries.append(0x80 | (_NO_COLUMNS << 3) | (length - 1))
        entries += _signed_varint(delta)
        delta = 0
        units -= length
    return bytes(entries)


def _fill_jumps(chunks: list) -> None:
    """Turn ``(opcode, label)`` jumps in ``chunks`` into instructions, in place.

    Every jump goes forward, so sizing from the right end means everything between a jump
    and its label is final when the jump is sized (EXTENDED_ARG prefixes included). A jump's
    argument counts code units from the end of the jump to its label.
    """
    after = 0  # code units right of the current position
    units_after_label: dict[int, int] = {}
    for position in range(len(chunks) - 1, -1, -1):
        chunk = chunks[position]
        if chunk is None:  # a label
            units_after_label[position] = after
            chunks[position] = b""
            continue
        if type(chunk) is tuple:
            opcode, label = chunk
            chunk = chunks[position] = instruction(opcode, after - units_after_label[label])
        after += len(chunk) // 2


def _signed_varint(value: int) -> bytes:
    """The 3.11 line table's signed varint: zigzag, then 6-bit groups, low first."""
    value = (-value << 1) | 1 if value < 0 else value << 1
    out = bytearray()
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)
    return bytes(out)


def _template_code() -> types.CodeType | None:
    if not AVAILABLE:
        return None
    return function_code("def _f():\n    return None\n", "<template>")


_TEMPLATE_CODE = _template_code()
