"""A recursive topological sort, as in published micrograd: RecursionError when deep.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

Everything is correct on ordinary graphs; the recursion depth of ``build`` is the depth of the
graph, so a chain of a few hundred ops (about 1000 nodes with Python's default limit) makes
``backward`` raise RecursionError.

Why it is realistic: it is micrograd's own code, copied into countless engines; nobody notices
until an RNN-like loop or a long training graph is differentiated.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "deep-graph-crash"
BUG = (
    "the topological sort recurses once per node (like published micrograd), so backward "
    "raises RecursionError on graphs more than about 1000 nodes deep."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0):
    v = x0
    for _ in range(3000):
        v = (v * 0.9).tanh() + x0
    return v
"""
WITNESS_INPUTS = (0.3,)
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
    def _topological_order(self):
        """Every node this one depends on, each after its inputs (micrograd's build_topo)."""
        order, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    build(child)  # planted bug: one Python frame per level of the graph
                order.append(node)

        build(self)
        return order
