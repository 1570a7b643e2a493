"""A power rule that truncates the exponent in the coefficient: int(c) * x**(c - 1).

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Right for every integer exponent (x**2, x**3, x**-1...), wrong for 0.5 (slope 0), 1.5 (x**0.5
instead of 1.5 x**0.5), -0.5 (slope 0) and any other fractional exponent.

Why it is realistic: micrograd's own ``__pow__`` documents "only supporting int/float powers",
tests usually square and cube, and an ``int(...)`` added to silence a type checker (or copied
from an integer-power helper) goes unnoticed.
"""

from _template import Value as Template
from _template import ieee_power

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = (
    "__pow__'s backward uses int(c) * x**(c - 1), so non-integer exponents (0.5, 1.5, "
    "-0.5) get a truncated coefficient."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 ** 0.5 * x1 + x1 ** 1.5
"""
WITNESS_INPUTS = (2.0, 3.0)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** -1.0 + v4 ** -2.0 + v4 ** 0.0 + v4 ** 4
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
    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        # planted bug: int(exponent) truncates 0.5, 1.5, -0.5...
        derivative = int(exponent) * ieee_power(self.data, exponent - 1)
        return self._unary(ieee_power(self.data, exponent), derivative, f"**{exponent}")
