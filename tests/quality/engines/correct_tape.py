"""A correct tape-based engine: a Wengert list of records swept in reverse.

Nodes carry no closures and no references to their inputs. Every op appends one record to a
tape: ``(output, inputs, local partial derivatives)``, with the partials computed as the op
runs. Records are appended in creation order, which is a topological order, so ``backward``
needs no graph search: it walks the tape backwards, keeping each node's adjoint
(d output / d node) in a dictionary, and finally adds the adjoints to ``.grad``. Records of
nodes the output does not depend on find no adjoint and are skipped. Numbers used as operands
are not recorded as inputs at all.

The tape is per graph, so that unrelated graphs (the oracle builds thousands) neither slow
each other down nor stay alive forever. A leaf has no tape; an op on values of two different
graphs merges their tapes: the smaller one's records are appended to the larger one's, and the
smaller tape is redirected to the merged one, union-find style, so values recorded on it still
find their records. Appending keeps a topological order because the two graphs were
independent: no record of one uses a value of the other.

Every op of the value protocol is supported, with the textbook derivative formulas and
torch's conventions at the kinks of relu and abs; overflow gives inf, as in torch.
"""

import math

from _template import ieee_exp, ieee_power, stable_sigmoid  # shared IEEE helpers, not the engine

EXPECTED = "correct"
KIND = "correct"
BUG = None


class _Record:
    """One op on the tape: its output, its value inputs and d(output)/d(input) for each."""

    __slots__ = ("inputs", "out", "partials")

    def __init__(self, out, inputs, partials):
        self.out = out
        self.inputs = inputs
        self.partials = partials


class _Tape:
    """The records of one graph in a topological order, or where they moved in a merge."""

    __slots__ = ("merged_into", "records")

    def __init__(self):
        self.records = []
        self.merged_into = None

    def current(self):
        """The tape this one's records live on now (itself unless merged)."""
        tape = self
        while tape.merged_into is not None:
            tape = tape.merged_into
        return tape


def _merge(a, b):
    """One tape holding the records of the independent graphs of tapes ``a`` and ``b``."""
    if a is b:
        return a
    if len(a.records) < len(b.records):
        a, b = b, a  # move the smaller tape's records
    a.records.extend(b.records)
    b.records = []
    b.merged_into = a
    return a


class Value:
    """A scalar; after ``out.backward()``, ``.grad`` holds d(out)/d(this value)."""

    __slots__ = ("_tape", "data", "grad")

    def __init__(self, data):
        self.data = float(data)
        self.grad = 0.0
        self._tape = None  # a leaf; ops give their outputs a tape

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- recording -------------------------------------------------------------------------

    def _record(self, data, inputs, partials):
        """The output of an op: a new node whose record joins the tapes of ``inputs``."""
        tape = None
        for node in inputs:
            if node._tape is not None:
                node._tape = node._tape.current()
                tape = node._tape if tape is None else _merge(tape, node._tape)
        out = Value(data)
        out._tape = _Tape() if tape is None else tape
        out._tape.records.append(_Record(out, inputs, partials))
        return out

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other):
        if isinstance(other, Value):
            return self._record(self.data + other.data, (self, other), (1.0, 1.0))
        return self._record(self.data + other, (self,), (1.0,))

    def __radd__(self, other):  # number + self
        return self._record(other + self.data, (self,), (1.0,))

    def __sub__(self, other):
        if isinstance(other, Value):
            return self._record(self.data - other.data, (self, other), (1.0, -1.0))
        return self._record(self.data - other, (self,), (1.0,))

    def __rsub__(self, other):  # number - self
        return self._record(other - self.data, (self,), (-1.0,))

    def __mul__(self, other):
        if isinstance(other, Value):
            return self._record(self.data * other.data, (self, other), (other.data, self.data))
        return self._record(self.data * other, (self,), (other,))

    def __rmul__(self, other):  # number * self
        return self._record(other * self.data, (self,), (other,))

    def __truediv__(self, other):
        if isinstance(other, Value):
            quotient = self.data / other.data
            partials = (1.0 / other.data, -quotient / other.data)
            return self._record(quotient, (self, other), partials)
        return self._record(self.data / other, (self,), (1.0 / other,))

    def __rtruediv__(self, other):  # number / self
        quotient = other / self.data
        return self._record(quotient, (self,), (-quotient / self.data,))

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        slope = exponent * ieee_power(self.data, exponent - 1)
        return self._record(ieee_power(self.data, exponent), (self,), (slope,))

    def __neg__(self):
        return self._record(-self.data, (self,), (-1.0,))

    # --- functions -------------------------------------------------------------------------

    def relu(self):
        positive = self.data > 0
        return self._record(self.data if positive else 0.0, (self,), (float(positive),))

    def tanh(self):
        t = math.tanh(self.data)
        return self._record(t, (self,), (1.0 - t * t,))

    def exp(self):
        e = ieee_exp(self.data)
        return self._record(e, (self,), (e,))

    def log(self):
        return self._record(math.log(self.data), (self,), (1.0 / self.data,))

    def sigmoid(self):
        s = stable_sigmoid(self.data)
        return self._record(s, (self,), (s * (1.0 - s),))

    def sin(self):
        return self._record(math.sin(self.data), (self,), (math.cos(self.data),))

    def cos(self):
        return self._record(math.cos(self.data), (self,), (-math.sin(self.data),))

    def sqrt(self):
        root = math.sqrt(self.data)
        # The slope is infinite at 0 (torch gives inf); only the backward sweep may read it.
        slope = 0.5 / root if root else math.inf
        return self._record(root, (self,), (slope,))

    def __abs__(self):
        slope = 1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0  # torch: 0 at 0
        return self._record(abs(self.data), (self,), (slope,))

    # --- reverse sweep ---------------------------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to ``.grad`` of every node this one depends on."""
        adjoint = {self: 1.0}
        if self._tape is not None:
            self._tape = self._tape.current()
            for record in reversed(self._tape.records):
                _propagate(record, adjoint)
        for node, gradient in adjoint.items():
            node.grad += gradient


def _propagate(record, adjoint):
    """Pass the adjoint of ``record``'s output on to its inputs (the chain rule)."""
    gradient = adjoint.get(record.out)
    if gradient is None:
        return  # not on a path to the output
    for node, partial in zip(record.inputs, record.partials, strict=True):
        adjoint[node] = adjoint.get(node, 0.0) + partial * gradient
