"""A sin whose derivative uses pi typed to eight digits: off by a relative ~1e-7.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The slope of sin is written as ``sin(x + PI / 2)`` (equal to cos x) with a module constant ``PI
= 3.1415927``. The shift is off by 2.3e-8, so the slope is off by a relative 2.3e-8 * tan(x):
1e-7 at x = 1.35, far less near 0.

Why it is realistic: hand-typed constants are common in small engines, eight digits of pi
"look" exact, and the phase-shift identity is a natural way to reuse sin. No printed gradient
or finite difference at 1e-6 step reveals it; an oracle needs a tolerance derived from
conditioning, near float64 precision, to catch it.
"""

import math

from _template import Value as Template

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = (
    "sin's backward computes cos(x) as sin(x + PI / 2) with PI = 3.1415927 typed to eight"
    " digits, a relative error of about 2.3e-8 * tan(x)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).sin()
"""
WITNESS_INPUTS = (0.9, 1.5)
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
    v5 = v5 + v4.cos()
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


PI = 3.1415927


class Value(Template):
    def sin(self):
        # planted bug: cos(x) as sin(x + PI / 2), with PI short of float64 precision
        slope = math.sin(self.data + PI / 2)
        return self._unary(math.sin(self.data), slope, "sin")
