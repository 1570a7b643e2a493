"""A subtraction whose right operand receives +grad instead of -grad.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

``a - b`` computes the right value, but b's gradient has the wrong sign. ``2.0 - b``
(``__rsub__``) goes through ``__sub__`` and is wrong too; ``-b`` (``__neg__``) is right.

Why it is realistic: ``__sub__`` is typically written by copying ``__add__`` and editing the
forward, forgetting the backward; engines that write ``a - b`` as ``a + (-b)`` are immune,
which is why this shows up only in hand-rolled ops.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "sign"
BUG = "__sub__'s backward adds +out.grad to the right operand instead of -out.grad."

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 - x1 * 2.0
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 + x0 / 3.0 + 1.5 / x2 + (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 + (1.0 + x0)
    v5 = v4.tanh() + (v4 * 0.5).exp() + v4.log() + (v4 + -4.0).sigmoid() + v4.sin()
    v6 = v4.cos() + v4.sqrt() + abs(v3 + -8.0) + (v4 + -1.0).relu() + (-v4).relu()
    return (v5 + v6 ** 1.5) * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def __sub__(self, other):
        other = self._lift(other)
        # planted bug: copied from __add__; the right operand needs -1.0
        return self._binary(other, self.data - other.data, 1.0, 1.0, "-")
