"""A sqrt whose derivative is 0.5 / (sqrt(x) + 1e-7): off by a relative 1e-7 at x = 1.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Why it is realistic: the slope of sqrt is infinite at 0, and adding a small epsilon to a
denominator "for safety" is a habit from training code. The error it makes is tiny (a relative
1e-7 / sqrt(x): 7e-8 at x = 2, 3e-9 at x = 1000) and never visible in a printed gradient; an
oracle needs tolerances near float64 precision to see it.
"""

import math

from _template import Value as Template

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = (
    "sqrt's backward divides by sqrt(x) + 1e-7 (an epsilon against division by zero), a "
    "relative error of about 1e-7 / sqrt(x)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0.sqrt() * x1
"""
WITNESS_INPUTS = (2.0, 3.0)
WITNESS_ERROR = (1e-09, 1e-06)  # subtle: the witness is off by a relative 1e-9..1e-6
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


_EPSILON = 1e-7  # keeps the slope of sqrt finite at 0


class Value(Template):
    def sqrt(self):
        root = math.sqrt(self.data)
        # planted bug: the epsilon makes every slope slightly too small
        return self._unary(root, 0.5 / (root + _EPSILON), "sqrt")
