"""A correct engine that computes gradients in forward mode, one sweep per leaf.

Each node records its inputs and the local partial derivatives with respect to them (numbers
used as operands are constants, not inputs), plus a creation number. ``backward`` gathers the
graph below the output, sorts it by creation number (a topological order), and then, for each
leaf in it, sweeps forward carrying the tangent d node / d leaf: a leaf's tangent is 1 for
itself and 0 for the others, and a node's tangent is the sum over its inputs of partial times
tangent. The output's tangent is that leaf's gradient. The cost is one sweep per leaf, which
is fine for the few inputs of a test program.

The point of this engine in the corpus: its gradients are exact in the same sense as a
reverse-mode engine's, but the roundings happen in a different order (sums over inputs
instead of sums over consumers), so an oracle whose tolerance is too tight, tuned to the
rounding pattern of reverse mode, flags it.

Only leaves get ``.grad`` (forward mode does not produce gradients of intermediate nodes,
and the value protocol only asks for the leaves'). Every op of the value protocol is
supported, with the textbook derivative formulas; overflow gives inf, as in torch.
"""

import itertools
import math

from _template import ieee_exp, ieee_power, stable_sigmoid  # shared IEEE helpers, not the engine

EXPECTED = "correct"
KIND = "correct"
BUG = None

_clock = itertools.count()


class Value:
    """A scalar; after ``out.backward()``, a leaf's ``.grad`` holds d(out)/d(leaf)."""

    __slots__ = ("_inputs", "_order", "_partials", "data", "grad")

    def __init__(self, data, inputs=(), partials=()):
        self.data = float(data)
        self.grad = 0.0
        self._inputs = inputs
        self._partials = partials
        self._order = next(_clock)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other):
        if isinstance(other, Value):
            return Value(self.data + other.data, (self, other), (1.0, 1.0))
        return Value(self.data + other, (self,), (1.0,))

    def __radd__(self, other):  # number + self
        return Value(other + self.data, (self,), (1.0,))

    def __sub__(self, other):
        if isinstance(other, Value):
            return Value(self.data - other.data, (self, other), (1.0, -1.0))
        return Value(self.data - other, (self,), (1.0,))

    def __rsub__(self, other):  # number - self
        return Value(other - self.data, (self,), (-1.0,))

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value(self.data * other.data, (self, other), (other.data, self.data))
        return Value(self.data * other, (self,), (other,))

    def __rmul__(self, other):  # number * self
        return Value(other * self.data, (self,), (other,))

    def __truediv__(self, other):
        if isinstance(other, Value):
            quotient = self.data / other.data
            partials = (1.0 / other.data, -quotient / other.data)
            return Value(quotient, (self, other), partials)
        return Value(self.data / other, (self,), (1.0 / other,))

    def __rtruediv__(self, other):  # number / self
        quotient = other / self.data
        return Value(quotient, (self,), (-quotient / self.data,))

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        slope = exponent * ieee_power(self.data, exponent - 1)
        return Value(ieee_power(self.data, exponent), (self,), (slope,))

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    # --- functions -------------------------------------------------------------------------

    def relu(self):
        positive = self.data > 0
        return Value(self.data if positive else 0.0, (self,), (float(positive),))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def exp(self):
        e = ieee_exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def sigmoid(self):
        s = stable_sigmoid(self.data)
        return Value(s, (self,), (s * (1.0 - s),))

    def sin(self):
        return Value(math.sin(self.data), (self,), (math.cos(self.data),))

    def cos(self):
        return Value(math.cos(self.data), (self,), (-math.sin(self.data),))

    def sqrt(self):
        root = math.sqrt(self.data)
        slope = 0.5 / root if root else math.inf  # infinite at 0, as torch
        return Value(root, (self,), (slope,))

    def __abs__(self):
        slope = 1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0  # torch: 0 at 0
        return Value(abs(self.data), (self,), (slope,))

    # --- gradients, one forward sweep per leaf ---------------------------------------------

    def backward(self):
        """Add d(self)/d(leaf) to ``.grad`` of every leaf this value depends on."""
        nodes = sorted(_graph_below(self), key=lambda node: node._order)
        for leaf in nodes:
            if not leaf._inputs:
                leaf.grad += _tangent_of(self, leaf, nodes)


def _graph_below(root):
    """Every node ``root`` depends on, itself included (unordered)."""
    seen = {root}
    stack = [root]
    while stack:
        for node in stack.pop()._inputs:
            if node not in seen:
                seen.add(node)
                stack.append(node)
    return seen


def _tangent_of(output, leaf, nodes):
    """d output / d leaf by a forward sweep over ``nodes`` (in creation order)."""
    tangent = {leaf: 1.0}
    for node in nodes:
        if node._inputs:
            terms = [
                partial * tangent[source]
                for source, partial in zip(node._inputs, node._partials, strict=True)
                if source in tangent
            ]
            if terms:  # nodes that do not depend on the leaf keep no tangent
                tangent[node] = sum(terms)
    return tangent.get(output, 0.0)
