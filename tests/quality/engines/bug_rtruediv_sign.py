"""``2.0 / v`` differentiates to +2 / v**2: __rtruediv__'s own backward lost the minus.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

``a / b`` and ``v / 2.0`` are right; a number divided by a value has the right forward value
but a gradient of the wrong sign.

Why it is realistic: ``__rtruediv__`` is often written as its own op (one rounding, not two as
``other * self**-1``) and the derivative of c / x is derived anew; the minus sign of d(1/x) is
the one to go missing.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "constant-operand"
BUG = (
    "__rtruediv__ (number / value) is its own op whose backward forgets the minus sign: "
    "+c / x**2 instead of -c / x**2."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return 2.0 / (x0 * x1)
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + v3 ** -1.0 * 0.5 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4.tanh() + (v4 * 0.5).exp() + v4.log() + (v4 - 2.0).sigmoid() + v4.sin()
    v6 = v4.cos() + v3.sqrt() + abs(v3 - 8.0) + (v4 - 1.0).relu() + (1.0 - v4).relu()
    return (v5 + v6 ** 1.5) * v4 + v5 / x2 - v6
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __rtruediv__(self, other):
        # number / value as its own op, one rounding instead of two
        quotient = other / self.data
        # planted bug: the slope of c / x is -quotient / x
        return self._unary(quotient, quotient / self.data, "rdiv")
