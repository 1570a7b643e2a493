"""``.grad`` stays None on leaves the output does not depend on.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Gradients start as None and backward sets them to 0.0 only for the nodes it reaches; the value
protocol wants 0.0 for every leaf. Numbers are right everywhere.

Why it is realistic: it is exactly PyTorch's convention (``x.grad is None`` until a backward
pass reaches ``x``), and an engine modelled on torch copies it.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "protocol"
BUG = (
    "a Value's .grad starts as None (as in torch) and only becomes a float when backward "
    "reaches it, so a leaf the output does not depend on keeps .grad = None."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return x0 * 2.0
"""
WITNESS_INPUTS = (0.5, -1.5)
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
    def __init__(self, data, _children=(), _op=""):
        super().__init__(data, _children, _op)
        self.grad = None  # planted bug: the protocol wants 0.0 for unused leaves

    def backward(self):
        order = self._topological_order()
        for node in order:
            node.grad = 0.0  # a gradient exists once backward reaches the node
        self.grad = 1.0
        self._sweep(order)
