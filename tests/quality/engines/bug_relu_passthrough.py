"""A relu that lets the gradient through for negative inputs (slope always 1).

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The backward closure tests ``out.data >= 0``, but relu's output is never negative, so the test
is always true; the intended test was ``out.data > 0`` (or ``self.data > 0``).

Why it is realistic: ``>=`` versus ``>`` looks like a matter of the convention at 0, and
networks with this bug still train; away from 0 it shows whenever a relu input is negative.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = (
    "relu's backward tests out.data >= 0, which always holds for relu's output, so the "
    "gradient passes through for negative inputs too."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).relu() + x0
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** -1.0 + v4 ** 0.5 + v4 ** -2.0 + v4 ** 1.5 + v4 ** 0.0
    v5 = v5 + (v4 * 0.7).tanh()
    v5 = v5 + (v4 * 0.5).exp()
    v5 = v5 + v4.log()
    v5 = v5 + (v4 - 2.0).sigmoid()
    v5 = v5 + v4.sin()
    v5 = v5 + v4.cos()
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def relu(self):
        out = self._new(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (out.data >= 0) * out.grad  # planted bug: always true; out.data > 0

        out._backward = _backward
        return out
