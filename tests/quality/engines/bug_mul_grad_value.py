"""``.grad`` becomes a Value: ``__mul__``'s backward multiplies by the operand, not its data.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The left operand's gradient is ``other * out.grad`` with ``other`` a Value, so it becomes a
Value (whose ``.data`` happens to hold the right number), and every gradient computed from it
downstream is a Value too. A number on the left (``2.0 * v``) is unaffected.

Why it is realistic: forgetting ``.data`` is the most common typo in micrograd-style code, and
here it raises nothing: Value arithmetic quietly accepts it.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "protocol"
BUG = (
    "__mul__'s backward adds other * out.grad (a Value) instead of other.data * out.grad "
    "to the left operand, so its .grad becomes a Value object instead of a float."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 * x1
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = 0.5 * x0 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2) + x1 ** 2.0
    v4 = v3 / 20.0 + 0.5 / v3 + (x2 + x2) / 4.0 + (1.0 + x0)
    v5 = v4.tanh() + (0.5 * v4).exp() + v4.log() + (v4 - 2.0).sigmoid() + v4.sin()
    v6 = v4.cos() + v3.sqrt() + abs(v3 - 8.0) + (v4 - 0.5).relu() + (1.0 - v4).relu()
    return (v5 + v6 ** 1.5) / v4 + v5 / x2 - v6
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __mul__(self, other):
        other = self._lift(other)
        out = self._new(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other * out.grad  # planted bug: other.data; this makes a Value
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
