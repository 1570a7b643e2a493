"""Eager mode: a ``Value`` records the computation graph while Python runs (micrograd-style).

How it differs from micrograd, and why:

* Ops come from the op table (:mod:`refgrad.ops`); a Value stores *which* op produced it and
  its operands (every op takes one or two), never a backward closure. So the graph has no
  reference cycles and one Python object per node, which keeps the cyclic garbage collector's
  work small; and the same derivative rule serves first-order backward (specialised to
  floats, :mod:`refgrad.specialize`) and ``create_graph=True`` (on Values, for derivatives
  of derivatives).
* Backward is iterative: an explicit-stack depth-first walk orders the graph, so graphs a
  million nodes deep work, and the order is deterministic.
* Cotangents live in a scratch slot of each node for the length of one backward call, so a
  second ``backward()`` never sees stale interior gradients (micrograd gives 72 instead of
  48 for ``d = (a*b)**2`` backward twice). Every Value's ``.grad`` then *accumulates* that
  call's gradient, as torch does for leaves (and for interior tensors that ``retain_grad()``).
* Forward results are IEEE float64 (``1/Value(0.0)`` is ``inf``), never Python exceptions.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

from refgrad.ops import OPS, UNARY_METHODS, Op, OpNamespace
from refgrad.specialize import FLOAT_RULES

# Process-wide switch flipped by no_grad(). A module global rather than a thread-local: reading
# it is on the hot path of every op, and refgrad, like micrograd, is not meant for threads.
_grad_enabled = True

# The producer of a Value the user made: gradients flow *to* it but not through it. Constants
# (numbers used as operands, results made under no_grad) have no producer: gradients stop there.
_LEAF = object()

_ADD, _SUB, _MUL, _DIV, _NEG, _POW = (OPS[n] for n in ("add", "sub", "mul", "div", "neg", "pow"))

# How micrograd's draw_dot labels nodes (Value._op); other ops print their name.
_MICROGRAD_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "relu": "ReLU"}


def as_float(number: object, role: str, expected: str = "a real number") -> float:
    """Convert a real number to a float64, or raise TypeError naming ``role`` and the culprit."""
    if type(number) is float:
        return number
    # int, bool, Fraction, numpy scalars... (int is tested first: ABC checks are slow)
    if type(number) is int or isinstance(number, numbers.Real):
        try:
            return float(number)
        except OverflowError:
            raise OverflowError(f"{role}: {number!r} is too large for a float64") from None
    raise TypeError(f"{role} must be {expected}, got {type(number).__name__}: {number!r:.60}")


class Value:
    """A float64 scalar that remembers how it was computed, so gradients can flow back to it."""

    __slots__ = ("_data", "_lhs", "_producer", "_rhs", "_scratch", "grad")

    def __init__(self, data: float) -> None:
        if isinstance(data, Value):
            raise TypeError("Value(data) takes a number; got a Value (use it directly)")
        self._data = as_float(data, "Value(data)")
        self.grad = 0.0
        self._producer: Op | object | None = _LEAF
        self._lhs: Value | None = None  # first operand of the op that made this Value
        self._rhs: Value | None = None  # second operand, for binary ops
        self._scratch: object = None  # backward's bookkeeping, see _backpropagate

    @property
    def data(self) -> float:
        """The number this Value holds (micrograd's attribute; assigning to it is allowed)."""
        return self._data

    @data.setter
    def data(self, number: float) -> None:
        self._data = as_float(number, "Value.data")

    # --- arithmetic: Python operators, with a plain number on either side --------------------

    def __add__(self, other):
        return _binary(_ADD, self, other if isinstance(other, Value) else _operand(other, "+"))

    def __radd__(self, other):
        return _binary(_ADD, _operand(other, "+"), self)

    def __sub__(self, other):
        return _binary(_SUB, self, other if isinstance(other, Value) else _operand(other, "-"))

    def __rsub__(self, other):
        return _binary(_SUB, _operand(other, "-"), self)

    def __mul__(self, other):
        return _binary(_MUL, self, other if isinstance(other, Value) else _operand(other, "*"))

    def __rmul__(self, other):
        return _binary(_MUL, _operand(other, "*"), self)

    def __truediv__(self, other):
        return _binary(_DIV, self, other if isinstance(other, Value) else _operand(other, "/"))

    def __rtruediv__(self, other):
        return _binary(_DIV, _operand(other, "/"), self)

    def __pow__(self, other, modulo=None):
        if modulo is not None:
            raise TypeError("pow(Value, exponent, modulo) is not supported: there is no modulo op")
        return _binary(_POW, self, other if isinstance(other, Value) else _operand(other, "**"))

    def __rpow__(self, other):
        return _binary(_POW, _operand(other, "**"), self)

    def __neg__(self):
        return _unary(_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # Methods for the unary ops (relu, tanh, exp, log, sigmoid, sin, cos, sqrt, abs) are
    # attached from the op table below the class.

    # --- comparisons and conversions read the data (they are not differentiable) -----------

    def __lt__(self, other):
        return self._data < _comparable(other)

    def __le__(self, other):
        return self._data <= _comparable(other)

    def __gt__(self, other):
        return self._data > _comparable(other)

    def __ge__(self, other):
        return self._data >= _comparable(other)

    def __float__(self) -> float:
        return self._data

    def __bool__(self) -> bool:
        # As bool(tensor) in torch: a Value is true when its number is non-zero (nan is true).
        # Without this, `if value:` would silently always be true.
        return self._data != 0.0

    # Values hash by identity (they are graph nodes); == is deliberately not overloaded.
    __hash__ = object.__hash__

    # --- autodiff -------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """True when gradients flow to this Value (false for constants and no_grad results)."""
        return self._producer is not None

    @property
    def is_leaf(self) -> bool:
        """True for a Value the user made (not the result of an op, not a constant)."""
        return self._producer is _LEAF

    @property
    def operands(self) -> tuple[Value, ...]:
        """The Values the op that made this one was applied to (empty for leaves, constants)."""
        return tuple(operand for operand in (self._lhs, self._rhs) if operand is not None)

    @property
    def op(self) -> Op | None:
        """The op-table row that made this Value, or None for leaves and constants."""
        producer = self._producer
        return producer if isinstance(producer, Op) else None

    def backward(self, *, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every Value this one was computed from.

        With ``create_graph=True`` the gradients are themselves Values, recorded on the graph,
        so they can be differentiated again.
        """
        seed = _constant(1.0) if create_graph else 1.0
        _backpropagate(self, seed, create_graph=create_graph, accumulate=True)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this Value and every Value it was computed from."""
        for node in _ancestors_topological(self, token=object()):
            node._scratch = None
            node.grad = 0.0
        self.grad = 0.0

    # --- micrograd compatibility: draw_dot reads _prev and _op ---------------------------

    @property
    def _prev(self) -> set[Value]:
        return set(self.operands)

    @property
    def _op(self) -> str:
        op = self.op
        return "" if op is None else _MICROGRAD_SYMBOLS.get(op.name, op.name)

    def __repr__(self) -> str:
        return f"Value(data={self._data}, grad={self.grad})"


# ---------------------------------------------------------------------------------------------
# Recording ops.
#
# _unary and _binary make the result Value field by field instead of through __init__, and
# are specialised by hand for the public ops (all differentiable): they run once per op of
# every eager program, where an extra call or a loop costs a noticeable share of the time.
# ---------------------------------------------------------------------------------------------

_new_value = object.__new__
# The class of every Value that ops make. Tracing (refgrad.trace) swaps in a subclass that
# records the Python-level decisions a function takes on its values; a global read costs
# the same as reading `Value`.
_result_class: type = Value


def _unary(op: Op, x: Value) -> Value:
    out = _new_value(_result_class)
    out._data = op.forward(x._data)
    out.grad = 0.0
    out._rhs = None
    out._scratch = None
    if x._producer is not None and _grad_enabled:
        out._producer, out._lhs = op, x
    else:
        out._producer, out._lhs = None, None
    return out


def _binary(op: Op, x: Value, y: Value) -> Value:
    out = _new_value(_result_class)
    out._data = op.forward(x._data, y._data)
    out.grad = 0.0
    out._scratch = None
    if (x._producer is not None or y._producer is not None) and _grad_enabled:
        out._producer, out._lhs, out._rhs = op, x, y
    else:
        out._producer, out._lhs, out._rhs = None, None, None
    return out


def _constant(number: float) -> Value:
    """A Value that gradients do not flow to: a number used as an operand."""
    out = _new_value(_result_class)
    out._data = number
    out.grad = 0.0
    out._producer = out._lhs = out._rhs = out._scratch = None
    return out


def _operand(other: object, symbol: str) -> Value:
    if isinstance(other, Value):
        return other
    if type(other) is not float:
        other = as_float(other, f"the other operand of Value {symbol}", "a Value or a real number")
    return _constant(other)


def _comparable(other: object) -> float:
    if isinstance(other, Value):
        return other._data
    return as_float(other, "the other side of a Value comparison", "a Value or a real number")


def _apply_on_values(op: Op, *operands: object) -> Value:
    """Apply any op (rule helpers included) to Values and numbers, e.g. ``1.0 - out*out``."""
    values = [_operand(operand, op.name) for operand in operands]
    if not op.differentiable:  # comparisons and sign: a step function's result is a constant
        return _constant(op.forward(*[value._data for value in values]))
    if op.arity == 1:
        return _unary(op, *values)
    return _binary(op, *values)


def _tie(variable: Value, source: Value) -> None:
    """Turn the leaf ``variable`` into ``source * 1.0``: equal to it, and differentiable.

    The functional API differentiates a nested function with respect to a fresh leaf standing
    for its argument, then ties that leaf back to the argument, so that an enclosing transform
    differentiates through it. ``x * 1.0`` is exact for every float (inf, nan and -0.0 too).
    """
    if variable._producer is not _LEAF:
        raise ValueError("only a leaf can be tied to another Value")
    variable._producer, variable._lhs, variable._rhs = _MUL, source, _constant(1.0)


VALUES = OpNamespace(_apply_on_values)
"""The op namespace over Values: derivative rules evaluated here are themselves recorded."""


def _unary_method(op: Op):
    def method(self: Value) -> Value:
        return _unary(op, self)

    method.__name__ = op.name
    method.__qualname__ = f"Value.{op.name}"
    method.__doc__ = f"{op.name}(self), as defined by the op table (smooth domain: {op.domain})."
    return method


for _name in UNARY_METHODS:
    setattr(Value, _name, _unary_method(OPS[_name]))


# ---------------------------------------------------------------------------------------------
# Backward.
# ---------------------------------------------------------------------------------------------

_EXIT = object()  # on the walk's stack: "every operand of the Value below me is done"


def _ancestors_topological(root: Value, token: object) -> list[Value]:
    """``root`` and every Value that gradients reach from it, operands before results.

    An iterative depth-first walk (no recursion, so any depth works) and deterministic. A
    node is marked visited by storing ``token`` in its ``_scratch`` slot: faster than a set of
    a million entries, and it also clears whatever an interrupted earlier backward left there.
    """
    order: list[Value] = []
    if root._producer is None:
        return order
    stack = [root]
    pop, push, emit = stack.pop, stack.append, order.append
    while stack:
        node = pop()
        if node is _EXIT:
            emit(pop())
            continue
        if node._scratch is token:  # pushed twice, and already expanded
            continue
        node._scratch = token
        push(node)
        push(_EXIT)
        x, y = node._lhs, node._rhs
        if x is not None and x._producer is not None and x._scratch is not token:
            push(x)
        if y is not None and y._producer is not None and y._scratch is not token:
            push(y)
    return order


def _backpropagate(
    root: Value,
    seed: object,
    *,
    create_graph: bool,
    accumulate: bool,
    targets: frozenset[Value] = frozenset(),
) -> dict[Value, object]:
    """Propagate ``seed`` from ``root`` to its ancestors; return the cotangents of ``targets``.

    ``targets`` are leaves (the functional API's variables). With ``accumulate``, every node's
    ``.grad`` gains its cotangent as well (``Value.backward``). First order runs the op
    table's rules specialised to floats; ``create_graph`` runs them on Values, so that the
    gradient is itself a recorded computation.
    """
    # Each node's cotangent lives in its _scratch slot for the length of this call: `pending`
    # until a first contribution arrives, then the running sum, then None once passed on.
    pending = object()
    order = _ancestors_topological(root, pending)
    found: dict[Value, object] = {}
    if order:
        root._scratch = seed
    for node in reversed(order):
        g = node._scratch
        node._scratch = None
        if g is pending:  # reached only through operands no rule differentiates
            continue
        if accumulate:
            grad = node.grad
            # A .grad of 0.0 means "no gradient yet" (micrograd starts every grad at 0): the
            # first contribution is stored as is, so a -0.0 gradient keeps its sign as in torch.
            node.grad = g if type(grad) is float and grad == 0.0 else grad + g
        producer = node._producer
        if producer is _LEAF:
            if targets and node in targets:
                found[node] = g
            continue
        x, y = node._lhs, node._rhs
        # cx and cy are the contributions to the operands (None: that operand gets none).
        if create_graph:
            cx, cy = _contributions_on_values(producer, g, x, y, node)
        elif y is None:
            cx, cy = FLOAT_RULES[producer].per_operand[0](g, x._data, node._data), None
        else:
            rules = FLOAT_RULES[producer]
            x_needs, y_needs = x._producer is not None, y._producer is not None
            if x_needs and y_needs and rules.both is not None:
                cx, cy = rules.both(g, x._data, y._data, node._data)
            else:
                first, second = rules.per_operand
                # (zero_where has no rule for its condition, which is a constant anyway)
                cx = first(g, x._data, y._data, node._data) if x_needs and first else None
                cy = second(g, x._data, y._data, node._data) if y_needs else None
        # Add each contribution to its operand's running sum. Written out twice rather than
        # looped: this runs once per node of every backward.
        if cx is not None:
            previous = x._scratch
            x._scratch = cx if previous is pending else previous + cx
        if cy is not None:
            previous = y._scratch
            y._scratch = cy if previous is pending else previous + cy
    return found


def _contributions_on_values(producer: Op, g: Value, x: Value, y: Value | None, out: Value):
    """The operands' contributions as recorded Values: the op's rules run on ``VALUES``."""
    if y is None:
        return producer.vjp[0](VALUES, g, x, out), None
    first, second = producer.vjp
    cx = first(VALUES, g, x, y, out) if first is not None and x._producer is not None else None
    cy = second(VALUES, g, x, y, out) if second is not None and y._producer is not None else None
    return cx, cy


# ---------------------------------------------------------------------------------------------
# Grad mode.
# ---------------------------------------------------------------------------------------------


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, ops record no graph: their results are constants (as torch.no_grad)."""
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled
