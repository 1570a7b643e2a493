"""The template of the corpus's buggy engines: a correct micrograd-style engine.

Every op computes its result and its local derivatives, and records a closure that, during
``backward``, scales them by the output's gradient and adds them to the gradients of its inputs.
``backward`` orders the graph with an iterative depth-first post-order (an explicit stack, so
graphs thousands of ops deep work) and runs the closures from the output back to the leaves.
Every op of the value protocol is supported, with numbers on either side of an operator, and
overflow gives inf (or nan) as in IEEE arithmetic and torch instead of raising.

Each ``bug_*.py`` engine is ``class Value(Template)`` overriding the one part its planted bug
changes, so everything here is written to be overridden piece by piece:

* every op is one method, and results are built with :meth:`Value._new`, ``type(self)``, so an
  op of a subclass returns the subclass and the whole graph runs the subclass's code;
* ops record their closures through :meth:`Value._unary` and :meth:`Value._binary`, and number
  operands become constants through :meth:`Value._lift`;
* ``backward`` is :meth:`Value._topological_order` followed by :meth:`Value._sweep`.

Not a corpus engine itself (``catalog.py`` skips ``_private`` modules); ``test_corpus.py``
checks it against torch on the correct engines' programs. A bug engine imports it as a sibling
module, ``from _template import Value as Template``, which works because engines are imported
by path with their directory first on ``sys.path``, as when Python runs a script.
"""

import math


class Value:
    """A scalar node of a computation graph; ``.grad`` is d(output)/d(node) after backward.

    Each op works out its local derivatives while computing its result and records a closure
    that, during ``backward``, scales them by the output's gradient and adds them to the
    gradients of its inputs. A plain number used as an operand becomes a constant leaf.
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = _leaf_backward
        self._prev = _children
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- recording ops ---------------------------------------------------------------------

    def _new(self, data, children=(), op=""):
        """A node of this engine's class (a subclass's, when subclassed)."""
        return type(self)(data, children, op)

    def _lift(self, x):
        """A number operand as a constant leaf (its gradient is computed but never read)."""
        return x if isinstance(x, Value) else self._new(x)

    def _unary(self, data, derivative, op):
        out = self._new(data, (self,), op)

        def _backward():
            self.grad += derivative * out.grad

        out._backward = _backward
        return out

    def _binary(self, other, data, d_self, d_other, op):
        out = self._new(data, (self, other), op)

        def _backward():
            self.grad += d_self * out.grad
            other.grad += d_other * out.grad

        out._backward = _backward
        return out

    # --- arithmetic ------------------------------------------------------------------------

    def __add__(self, other):
        other = self._lift(other)
        return self._binary(other, self.data + other.data, 1.0, 1.0, "+")

    def __radd__(self, other):
        return self._lift(other) + self

    def __sub__(self, other):
        other = self._lift(other)
        return self._binary(other, self.data - other.data, 1.0, -1.0, "-")

    def __rsub__(self, other):
        return self._lift(other) - self

    def __mul__(self, other):
        other = self._lift(other)
        return self._binary(other, self.data * other.data, other.data, self.data, "*")

    def __rmul__(self, other):
        return self._lift(other) * self

    def __truediv__(self, other):
        other = self._lift(other)
        quotient = self.data / other.data
        return self._binary(other, quotient, 1.0 / other.data, -quotient / other.data, "/")

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        derivative = exponent * ieee_power(self.data, exponent - 1)
        return self._unary(ieee_power(self.data, exponent), derivative, f"**{exponent}")

    def __neg__(self):
        return self._unary(-self.data, -1.0, "neg")

    # --- functions -------------------------------------------------------------------------

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0, "relu")

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def exp(self):
        e = ieee_exp(self.data)
        return self._unary(e, e, "exp")

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def sigmoid(self):
        s = stable_sigmoid(self.data)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def sin(self):
        return self._unary(math.sin(self.data), math.cos(self.data), "sin")

    def cos(self):
        return self._unary(math.cos(self.data), -math.sin(self.data), "cos")

    def sqrt(self):
        root = math.sqrt(self.data)
        return self._unary(root, 0.5 / root, "sqrt")

    def __abs__(self):
        return self._unary(abs(self.data), sign(self.data), "abs")

    # --- backpropagation -------------------------------------------------------------------

    def backward(self):
        """Set ``.grad`` of every node this one depends on to d(self)/d(node)."""
        order = self._topological_order()
        self.grad = 1.0
        self._sweep(order)

    def _topological_order(self):
        """Every node this one depends on, each after all of its inputs.

        Depth-first post-order with an explicit stack, so graphs thousands of ops deep do not
        reach Python's recursion limit.
        """
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order

    def _sweep(self, order):
        """Run the closures of ``order`` (a topological order) from the output to the leaves."""
        for node in reversed(order):
            node._backward()


def _leaf_backward():
    """A leaf has no inputs to pass gradient on to."""


def ieee_exp(x):
    """e**x, inf past float64's range as in IEEE arithmetic (math.exp raises there)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def ieee_power(base, exponent):
    """base**exponent with IEEE results where Python's ** does something else: nan for a
    negative base with a fractional exponent (Python returns a complex number), and +-inf at
    the pole 0**negative and past float64's range (Python raises)."""
    odd = float(exponent).is_integer() and exponent % 2 == 1
    try:
        result = base**exponent
    except (OverflowError, ZeroDivisionError):
        return math.copysign(math.inf, base) if odd else math.inf
    return math.nan if isinstance(result, complex) else result


def stable_sigmoid(x):
    """1 / (1 + e**-x), evaluated so that the exponential never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sign(x):
    """d|x|/dx, 0 at the kink as in torch."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0
