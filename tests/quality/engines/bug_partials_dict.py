"""Local derivatives kept in a dict keyed by operand: ``x * x`` gets x instead of 2x.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Each binary op stores ``{self: d_self, other: d_other}`` and its closure walks the dict. When
both operands are the same object the second entry overwrites the first: ``x * x`` yields x
instead of 2x, ``a + a`` yields 1 instead of 2, ``a / a`` yields -1/a instead of 0. Fan-out
through different operands is fine.

Why it is realistic: "map each parent to its local gradient" is how many write-ups describe
reverse mode, and a dict is the obvious container; self-operands are rare in hand-written
tests.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "self-operand"
BUG = (
    "binary ops keep their local derivatives in a dict keyed by operand, so for x * x or "
    "a + a the two entries collapse into one and half the gradient is lost."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 * x0 + x1
"""
WITNESS_INPUTS = (0.5, -1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * x2 / 20.0 + 0.5 / v3 + (x2 + x1) * 0.25 + (1.0 + x0)
    v5 = v4 ** 2.0 + v4.tanh() * v3 + (v4 * 0.5).exp() + v4.log() + (v4 - 2.0).sigmoid()
    v6 = v4.sin() - v3.cos() + v3.sqrt() / v4 + abs(v3 - 8.0) + (v4 - 1.0).relu()
    return v5 * v6 + v5 / x2 + v6 * x0
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def _binary(self, other, data, d_self, d_other, op):
        out = self._new(data, (self, other), op)
        # planted bug: one entry, not two, when self is other (x * x, a + a)
        local = {self: d_self, other: d_other}

        def _backward():
            for child, derivative in local.items():
                child.grad += derivative * out.grad

        out._backward = _backward
        return out
