"""Capture an eager function into a static graph by tracing it once (as torch.compile and
jax.jit do), with guards so that data-dependent Python control flow never gives a wrong answer.

Tracing runs the function eagerly on :class:`TracedValue` arguments: every op behaves exactly
as in eager mode (so the trace also yields this call's eager results), and the recorded graph
is converted into a :class:`~refgrad.graph.Graph`. What the function decides in Python about
its values is recorded too:

* **Comparisons and truth tests** (``x > y``, ``x <= 2.0``, ``bool(x)``, ``if x:``) become
  *guards*: the comparison is added to the graph as an extra output, with the outcome seen
  while tracing. A compiled specialization is only trusted at a call whose guards come out
  the same; otherwise the function is traced again at those arguments (one specialization
  per path taken).
* **Reading the number** (``x.data``, ``float(x)``) lets it escape into arbitrary Python,
  where refgrad cannot follow it (``math.sin(x.data) > 0`` would go unseen). Such a trace is
  marked *escaped*, and the static and compiled modes run that function eagerly instead, with
  a :class:`TraceEscapeWarning`. Correct results always; speed only when the trace is closed.

Values the function closes over, and numbers passed in arguments that are not differentiated,
are baked into the graph as constants (the modes key their caches on the latter).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import refgrad.value as value_module
from refgrad.graph import Graph, GraphBuilder, Node
from refgrad.ops import OPS
from refgrad.value import Value


class TraceEscapeWarning(UserWarning):
    """A traced function read a value's number; refgrad runs it eagerly instead."""


@dataclass(frozen=True)
class Guard:
    """A comparison the traced function made, and the outcome it saw."""

    op_name: str  # a comparison op of the table: eq ne lt le gt ge
    expected: bool


@dataclass
class Trace:
    """What tracing a function produced."""

    graph: Graph  # outputs: the function's result, then one output per guard (1.0 or 0.0)
    guards: tuple[Guard, ...]
    escaped: str | None  # why the trace cannot be trusted, or None
    value: float  # the function's result at the traced point (eagerly computed)


@dataclass
class _Recorder:
    comparisons: list[tuple[str, Value, Value, bool]] = field(default_factory=list)
    escaped: str | None = None


_recorder: _Recorder | None = None


def _compare(op_name: str, python_op: Callable[[float, float], bool]):
    def comparison(self: TracedValue, other: object) -> bool:
        other_value = other if isinstance(other, Value) else value_module._operand(other, op_name)
        outcome = python_op(self._data, other_value._data)
        if _recorder is not None:
            _recorder.comparisons.append((op_name, self, other_value, outcome))
        return outcome

    comparison.__name__ = f"__{op_name}__"
    return comparison


class TracedValue(Value):
    """A Value under tracing: computes as usual, and records comparisons and escapes."""

    __slots__ = ()

    __lt__ = _compare("lt", operator.lt)
    __le__ = _compare("le", operator.le)
    __gt__ = _compare("gt", operator.gt)
    __ge__ = _compare("ge", operator.ge)

    def __bool__(self) -> bool:
        outcome = self._data != 0.0
        if _recorder is not None:
            zero = value_module._constant(0.0)
            _recorder.comparisons.append(("ne", self, zero, outcome))
        return outcome

    @property
    def data(self) -> float:
        _escape("the function reads .data of a traced value")
        return self._data

    @data.setter
    def data(self, number: float) -> None:
        _escape("the function assigns to .data of a traced value")
        self._data = value_module.as_float(number, "Value.data")

    def __float__(self) -> float:
        _escape("the function converts a traced value with float()")
        return self._data

    __hash__ = Value.__hash__


def _escape(reason: str) -> None:
    if _recorder is not None and _recorder.escaped is None:
        _recorder.escaped = reason


@contextmanager
def _tracing(recorder: _Recorder):
    global _recorder
    if _recorder is not None:
        raise RuntimeError("refgrad cannot trace a function while tracing another one")
    _recorder = recorder
    value_module._result_class = TracedValue
    try:
        yield
    finally:
        value_module._result_class = Value
        _recorder = None


def trace(
    f: Callable[..., object],
    args: Sequence[object],
    kwargs: dict[str, object],
    positions: Sequence[int],
    input_names: Sequence[str] | None = None,
) -> Trace:
    """Trace ``f(*args, **kwargs)`` with the arguments at ``positions`` as graph inputs."""
    names = list(input_names or [f"x{position}" for position in positions])
    recorder = _Recorder()
    arguments = list(args)
    leaves: list[TracedValue] = []
    with _tracing(recorder):
        for position in positions:
            leaf = TracedValue(_number(args[position], position))
            arguments[position] = leaf
            leaves.append(leaf)
        out = f(*arguments, **kwargs)
    if not isinstance(out, Value):
        out = _as_constant_value(out, f)
    graph = _to_graph(out, leaves, names, recorder.comparisons)
    guards = tuple(Guard(name, outcome) for name, _, _, outcome in recorder.comparisons)
    return Trace(graph, guards, recorder.escaped, out._data)


def _number(argument: object, position: int) -> float:
    if isinstance(argument, Value):
        return argument._data
    return value_module.as_float(argument, f"argument {position} (differentiated)")


def _as_constant_value(out: object, f: Callable) -> Value:
    if isinstance(out, bool) or not isinstance(out, int | float):
        raise TypeError(
            f"{getattr(f, '__name__', 'f')} must return a Value or a real number to be "
            f"differentiated; it returned {type(out).__name__}: {out!r:.60}"
        )
    return value_module._constant(float(out))


def _to_graph(
    out: Value,
    leaves: Sequence[Value],
    names: Sequence[str],
    comparisons: Sequence[tuple[str, Value, Value, bool]],
) -> Graph:
    """Convert the recorded eager graph (and the guards' operands) into a Graph.

    While it runs, each Value's node is kept in the Value's ``_scratch`` slot (the slot eager
    backward keeps its bookkeeping in), not in a dict keyed by ``id()`` beside a set of
    visited ids: tables that big are read at random, and at 100,000 nodes they made the whole
    compile 8% slower. Every slot it set is cleared afterwards, even on an error, so no Value
    the function closed over keeps a node (or the graph) alive.
    """
    builder = GraphBuilder()
    touched: list[Value] = list(leaves)
    try:
        for leaf, name in zip(leaves, names, strict=True):
            leaf._scratch = builder.input(name)
        roots = [out]
        for _, left, right, _ in comparisons:
            roots += [left, right]
        _convert(roots, builder, touched)
        guard_nodes = [
            builder.apply(OPS[name], left._scratch, right._scratch)
            for name, left, right, _ in comparisons
        ]
        output_names = ("value", *(f"guard{i}" for i in range(len(guard_nodes))))
        return builder.build([out._scratch, *guard_nodes], output_names)
    finally:
        for value in touched:
            value._scratch = None


def _convert(roots: list[Value], builder: GraphBuilder, touched: list[Value]) -> None:
    """Give every Value ``roots`` depend on a node of ``builder``, in its ``_scratch`` slot;
    list in ``touched`` each Value whose slot it sets.

    The walk of :func:`refgrad.graph.post_order` (operands pushed last to first, so the first
    operand is converted first), written out so that each Value is converted as the walk
    finishes it, with Value's slots read directly: this runs for every traced op. A slot
    holding anything but this walk's mark or one of this builder's nodes (a Value closed over
    from an interrupted eager backward) counts as empty.
    """
    leaf = value_module._LEAF
    on_stack = object()  # the mark of a Value whose operands are being converted
    nodes = builder.nodes
    stack: list[Value | None] = list(reversed(roots))
    while stack:
        value = stack.pop()
        if value is None:  # the marker: the operands of the Value below it are converted
            value = stack.pop()
            producer, lhs, rhs = value._producer, value._lhs, value._rhs
            if producer is None or producer is leaf:  # a constant, or a Value closed over
                value._scratch = builder.constant(value._data)
            elif rhs is None:
                value._scratch = builder.interned(producer, (lhs._scratch,))
            else:
                value._scratch = builder.interned(producer, (lhs._scratch, rhs._scratch))
            continue
        # (`_scratch is None` first: the common case, without a call)
        if value._scratch is not None and _visited(value._scratch, on_stack, nodes):
            continue
        value._scratch = on_stack
        touched.append(value)
        stack.append(value)
        stack.append(None)
        rhs, lhs = value._rhs, value._lhs
        if rhs is not None and (
            rhs._scratch is None or not _visited(rhs._scratch, on_stack, nodes)
        ):
            stack.append(rhs)
        if lhs is not None and (
            lhs._scratch is None or not _visited(lhs._scratch, on_stack, nodes)
        ):
            stack.append(lhs)


def _visited(scratch: object, on_stack: object, nodes: list[Node]) -> bool:
    """Has this walk visited the Value whose ``_scratch`` holds ``scratch`` (not None)?"""
    if scratch is on_stack:
        return True
    return type(scratch) is Node and scratch.index < len(nodes) and nodes[scratch.index] is scratch
