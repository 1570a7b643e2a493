"""A sqrt whose derivative is 1 / sqrt(x) instead of 1 / (2 sqrt(x)).

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Why it is realistic: forgetting the 1/2 from the power rule (x**0.5 -> 0.5 x**-0.5) is a
classic; note that ``x ** 0.5`` goes through ``__pow__`` and stays right, so only code calling
``.sqrt()`` is affected.
"""

import math

from _template import Value as Template

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "sqrt's backward uses 1 / sqrt(x), missing the factor 1/2."

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).sqrt() + x1
"""
WITNESS_INPUTS = (0.5, 1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** -1.0 + v4 ** 0.5 + v4 ** -2.0 + v4 ** 1.5 + v4 ** 0.0
    v5 = v5 + (v4 - 1.0).relu() + (1.0 - v4).relu()
    v5 = v5 + (v4 * 0.7).tanh()
    v5 = v5 + (v4 * 0.5).exp()
    v5 = v5 + v4.log()
    v5 = v5 + (v4 - 2.0).sigmoid()
    v5 = v5 + v4.sin()
    v5 = v5 + v4.cos()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def sqrt(self):
        root = math.sqrt(self.data)
        return self._unary(root, 1.0 / root, "sqrt")  # planted bug: 0.5 / root
