"""A division whose derivative with respect to the divisor is -a / b instead of -a / b**2.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Dividing by a number (``v / 2.0``) stays right: the divisor is then a constant whose gradient
nobody reads. Dividing by a value (``a / b``, ``2.0 / b``) is wrong unless b = 1.

Why it is realistic: the quotient rule is the derivative most often misremembered, and the
missing power of b vanishes in the tests people write with b = 1 or b = -1.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "__truediv__'s backward gives the divisor -a / b instead of -a / b**2."

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 / x1
"""
WITNESS_INPUTS = (0.7, 2.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) * x2 ** -1.0 - (-x2)
    v4 = v3 * v3 / 20.0 + v3 ** -1.0 * 0.5 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4.tanh() + (v4 * 0.5).exp() + v4.log() + (v4 - 2.0).sigmoid() + v4.sin()
    v6 = v4.cos() + v3.sqrt() + abs(v3 - 8.0) + (v4 - 1.0).relu() + (1.0 - v4).relu()
    return (v5 + v6 ** 1.5) * v4 + v5 / 4.0 - v6
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __truediv__(self, other):
        other = self._lift(other)
        quotient = self.data / other.data
        d_other = -self.data / other.data  # planted bug: -self.data / other.data**2
        return self._binary(other, quotient, 1.0 / other.data, d_other, "/")
