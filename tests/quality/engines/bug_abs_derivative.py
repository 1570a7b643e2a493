"""An abs whose slope is copysign(1, out.data), i.e. always +1, instead of sign(x).

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Right for positive inputs, wrong sign for every negative input.

Why it is realistic: closures in micrograd-style code read ``out.data`` for tanh and exp (whose
slopes are functions of the output), and reusing that pattern for abs, whose output has lost
the sign, is an easy slip. The same shape of bug as relu's ``>=``.
"""

import math

from _template import Value as Template

EXPECTED = "bug"
KIND = "sign"
BUG = "abs's backward takes the sign of the output |x| (always +1) instead of the sign of x."

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return abs(x0 - x1) * x0
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
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __abs__(self):
        out = self._new(abs(self.data), (self,), "abs")

        def _backward():
            # planted bug: the output |x| has lost the sign; this is always +1
            self.grad += math.copysign(1.0, out.data) * out.grad

        out._backward = _backward
        return out
