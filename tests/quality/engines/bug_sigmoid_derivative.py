"""A sigmoid whose derivative is s * (1 + s) instead of s * (1 - s).

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Why it is realistic: the derivative is recalled as "sigma times one-minus-sigma" and the sign
inside is an easy slip; the result still has the right order of magnitude near 0, so a glance
at a few printed gradients does not reveal it.
"""

from _template import Value as Template
from _template import stable_sigmoid

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "sigmoid's backward uses s * (1 + s) instead of s * (1 - s)."

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).sigmoid() * x0
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** -1.0 + v4 ** 0.5 + v4 ** -2.0 + v4 ** 1.5 + v4 ** 0.0
    v5 = v5 + (v4 - 1.0).relu() + (1.0 - v4).relu()
    v5 = v5 + (v4 * 0.7).tanh()
    v5 = v5 + (v4 * 0.5).exp()
    v5 = v5 + v4.log()
    v5 = v5 + v4.sin()
    v5 = v5 + v4.cos()
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def sigmoid(self):
        s = stable_sigmoid(self.data)
        return self._unary(s, s * (1.0 + s), "sigmoid")  # planted bug: 1.0 - s
