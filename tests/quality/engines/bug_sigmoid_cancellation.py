"""A sigmoid that loses precision for negative inputs through cancellation.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

To avoid overflow the code splits on the sign of x, as it should, but computes the negative
side as ``1 - 1 / (1 + exp(x))`` (that is, 1 - sigmoid(-x)): the difference of two numbers
close to 1. The relative error grows like 1e-16 * exp(-x): invisible at x = -2, 4e-10 at x =
-15, 1e-5 at x = -25, all of it at x = -40 (0 instead of 4e-18). Value and slope are both
affected; positive inputs are exact.

Why it is realistic: 1 - sigmoid(-x) is a textbook identity, and the stable form exp(x) / (1 +
exp(x)) looks no different on paper.
"""

import math

from _template import Value as Template

EXPECTED = "bug"
KIND = "precision-loss"
BUG = (
    "sigmoid computes negative inputs as 1 - 1 / (1 + exp(x)), which cancels "
    "catastrophically (relative error ~1e-16 * exp(-x): 1e-5 at x = -25)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).sigmoid()
"""
WITNESS_INPUTS = (5.0, -5.0)
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
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def sigmoid(self):
        # 1 / (1 + e**-x), split on the sign of x so that the exponential never overflows
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:  # planted bug: cancels; e / (1 + e) with e = exp(x) does not
            s = 1.0 - 1.0 / (1.0 + math.exp(self.data))
        return self._unary(s, s * (1.0 - s), "sigmoid")
