"""A correct engine without closures, limited to micrograd's op set.

Each node stores its parents as ``(parent, d node / d parent)`` pairs, computed when the node
is created; numbers used as operands are constants and are not stored. ``backward`` is
Kahn's algorithm run from the output: it first counts, for every node the output depends on,
how many edges lead to it from consumers (``x * x`` counts twice), then releases a node only
when every consumer has passed its gradient on, so each node's gradient is complete before it
is propagated. No recursion and no sort.

Supported: ``+ - * /`` with numbers on either side, unary ``-``, ``** number`` and ``relu``,
micrograd's set and nothing more: ``tanh``, ``exp``, ``log``, ``sigmoid``, ``sin``, ``cos``,
``sqrt`` and ``abs`` are absent, which exercises an oracle's probing of what an engine can do.
"""

from _template import ieee_power  # shared IEEE helpers, not the engine

EXPECTED = "correct"
KIND = "correct"
BUG = None


class Value:
    """A scalar; after ``out.backward()``, ``.grad`` holds d(out)/d(this value)."""

    __slots__ = ("data", "grad", "parents")

    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents  # ((parent Value, local partial derivative), ...)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other):
        if isinstance(other, Value):
            return Value(self.data + other.data, ((self, 1.0), (other, 1.0)))
        return Value(self.data + other, ((self, 1.0),))

    def __radd__(self, other):  # number + self
        return Value(other + self.data, ((self, 1.0),))

    def __sub__(self, other):
        if isinstance(other, Value):
            return Value(self.data - other.data, ((self, 1.0), (other, -1.0)))
        return Value(self.data - other, ((self, 1.0),))

    def __rsub__(self, other):  # number - self
        return Value(other - self.data, ((self, -1.0),))

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value(self.data * other.data, ((self, other.data), (other, self.data)))
        return Value(self.data * other, ((self, other),))

    def __rmul__(self, other):  # number * self
        return Value(other * self.data, ((self, other),))

    def __truediv__(self, other):
        if isinstance(other, Value):
            quotient = self.data / other.data
            return Value(quotient, ((self, 1.0 / other.data), (other, -quotient / other.data)))
        return Value(self.data / other, ((self, 1.0 / other),))

    def __rtruediv__(self, other):  # number / self
        quotient = other / self.data
        return Value(quotient, ((self, -quotient / self.data),))

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        slope = exponent * ieee_power(self.data, exponent - 1)
        return Value(ieee_power(self.data, exponent), ((self, slope),))

    def __neg__(self):
        return Value(-self.data, ((self, -1.0),))

    def relu(self):
        if self.data > 0:
            return Value(self.data, ((self, 1.0),))
        return Value(0.0, ((self, 0.0),))  # slope 0 at 0 too, as torch

    # --- backpropagation -------------------------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to ``.grad`` of every node this one depends on."""
        pending = _consumer_edges(self)
        gradient = {self: 1.0}
        ready = [self]  # nodes whose every consumer has passed its gradient on
        while ready:
            node = ready.pop()
            node.grad += gradient[node]
            for parent, partial in node.parents:
                gradient[parent] = gradient.get(parent, 0.0) + partial * gradient[node]
                pending[parent] -= 1
                if pending[parent] == 0:
                    ready.append(parent)


def _consumer_edges(root):
    """For each node ``root`` depends on: how many parent edges point to it from consumers."""
    count = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent, _ in node.parents:
            if parent not in count:
                count[parent] = 0
                stack.append(parent)
            count[parent] += 1
    return count
