"""``2.0 - v`` computes ``v - 2.0``: __rsub__ swapped its operands.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Everything with the value on the left is right; a number on the left of ``-`` gives the negated
result (and a gradient of +1 instead of -1).

Why it is realistic: the reflected methods are written by analogy with ``__radd__`` and
``__rmul__``, where ``return self + other`` is correct because the op commutes.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "constant-operand"
BUG = (
    "__rsub__ computes self - other, so number - value returns value - number (wrong "
    "value and gradient sign)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return 2.0 - x0 * x1
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (-x1 + 1.5) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4.tanh() + (v4 * 0.5).exp() + v4.log() + (v4 - 2.0).sigmoid() + v4.sin()
    v6 = v4.cos() + v3.sqrt() + abs(v3 - 8.0) + (v4 - 1.0).relu() + (-v4).relu()
    return (v5 + v6 ** 1.5) * v4 + v5 / x2 - v6
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __rsub__(self, other):
        return self - self._lift(other)  # planted bug: copied from __radd__; other - self
