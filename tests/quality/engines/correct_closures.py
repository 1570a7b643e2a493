"""A correct micrograd-style engine: one closure per op, an explicit-stack topological sort.

Each op builds its output node and attaches a ``_backward`` closure that reads the output's
gradient and adds the chain-rule contributions to its inputs. Local derivatives are computed
inside the closures, at backward time, as micrograd does. ``backward`` orders the graph with
an iterative depth-first post-order (no recursion, so graphs hundreds of thousands of nodes
deep work) and runs the closures from the output back to the leaves. Every gradient is added
with ``+=``, so fan-out and self-operands (``x * x``, ``a + a``) accumulate correctly.

Every op of the value protocol is supported, with the textbook derivative formulas
(tanh' = 1 - t*t, sigmoid' = s*(1 - s), sqrt' = 1 / (2 sqrt(x))...) and torch's conventions at
the kinks of relu and abs (slope 0 at 0). Forward values follow Python's ``math``, except that
overflow gives inf, as in IEEE arithmetic and torch, instead of raising.
"""

import math

from _template import ieee_exp, ieee_power, stable_sigmoid  # shared IEEE helpers, not the engine

EXPECTED = "correct"
KIND = "correct"
BUG = None


class Value:
    """A scalar node of a computation graph; ``.grad`` is d(output)/d(node) after backward."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = _leaf_backward
        self._prev = _children
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __rsub__(self, other):  # other - self
        return Value(other) - self

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad -= out.data / other.data * out.grad

        out._backward = _backward
        return out

    def __rtruediv__(self, other):  # other / self
        return Value(other) / self

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented  # only number exponents, as in micrograd
        out = Value(ieee_power(self.data, exponent), (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * ieee_power(self.data, exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        out = Value(-self.data, (self,), "neg")

        def _backward():
            self.grad -= out.grad

        out._backward = _backward
        return out

    # --- functions -------------------------------------------------------------------------

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data * out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(ieee_exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sigmoid(self):
        out = Value(stable_sigmoid(self.data), (self,), "sigmoid")

        def _backward():
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    def sin(self):
        out = Value(math.sin(self.data), (self,), "sin")

        def _backward():
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward
        return out

    def cos(self):
        out = Value(math.cos(self.data), (self,), "cos")

        def _backward():
            self.grad -= math.sin(self.data) * out.grad

        out._backward = _backward
        return out

    def sqrt(self):
        out = Value(math.sqrt(self.data), (self,), "sqrt")

        def _backward():
            self.grad += 0.5 / out.data * out.grad

        out._backward = _backward
        return out

    def __abs__(self):
        out = Value(abs(self.data), (self,), "abs")

        def _backward():
            # The sign of the input: the output |x| has lost it. 0 at the kink, as torch.
            slope = 1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0
            self.grad += slope * out.grad

        out._backward = _backward
        return out

    # --- backpropagation -------------------------------------------------------------------

    def backward(self):
        """Add d(self)/d(node) to ``.grad`` of every node this one depends on."""
        order = _post_order(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _leaf_backward():
    """A leaf has no inputs to pass gradient on to."""


def _post_order(root):
    """Every node ``root`` depends on, each after all of its inputs.

    Depth-first with an explicit stack: a node is pushed once unexpanded and once more, under
    its inputs, to be emitted when they are done. A node already visited is skipped, so a
    shared node appears once.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in node._prev:
            if child not in visited:
                stack.append((child, False))
    return order
