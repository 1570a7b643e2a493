"""A multiplication whose backward assigns the operands' gradients instead of adding.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

When a value is used by a ``*`` and elsewhere, whatever gradient the other uses added before
the ``*`` node's closure runs is overwritten; ``x * x`` gets x instead of 2x. Every engine test
with each value used once (a tree) passes.

Why it is realistic: ``=`` versus ``+=`` is the first bug Karpathy demonstrates in the
micrograd lecture, and it survives any test without fan-out.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "lost-accumulation"
BUG = (
    "__mul__'s backward assigns its operands' .grad (=) instead of adding to it (+=), "
    "losing contributions already propagated from other uses."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    v2 = x0 * x1
    return v2 + x0
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2, x3, x4, x5, x6):
    a = (2.0 * x0 - 0.5).tanh() + (1.5 - x1).exp() / 3.0
    b = (x2 * 0.7 + 1.0).log() * (x3 / 2.0 - 1.0).sigmoid()
    c = (a - b).sin() + (-(0.5 / x4)).cos()
    d = abs(x5 - 4.0).sqrt() ** 3.0
    return (2.0 + c).relu() * d ** 0.5 + (x6 - 3.0).relu()
"""
CONTROL_INPUTS = (0.4, 0.9, 1.7, 3.1, 0.6, 2.2, 1.0)


class Value(Template):
    def __mul__(self, other):
        other = self._lift(other)
        out = self._new(self.data * other.data, (self, other), "*")

        def _backward():
            # planted bug: = instead of +=, losing what other uses already added
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out
