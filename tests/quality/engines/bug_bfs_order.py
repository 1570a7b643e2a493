"""A backward pass in breadth-first order from the output instead of topological order.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

BFS visits every consumer before the values it consumes when the graph is a tree, so the usual
tests pass. In a DAG where a value is reached by a short and a long path (``v + f(g(v))``), BFS
reaches it through the short path first and runs its closure before the long path's gradient
has arrived; that gradient is then never passed on.

Why it is realistic: "process nodes from the output outwards" sounds like BFS, and it is a
common first attempt at replacing micrograd's recursive topological sort.
"""

from collections import deque

from _template import Value as Template

EXPECTED = "bug"
KIND = "topological-order"
BUG = (
    "backward runs the closures in breadth-first order from the output instead of a "
    "topological order, so a node reached by paths of different lengths runs before all "
    "its consumers have added their gradient."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    v2 = x0 * x1
    return v2 + v2.tanh().exp()
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
    def _topological_order(self):
        """Every node this one depends on, in breadth-first order from this one, reversed."""
        order, seen = [self], {self}
        queue = deque([self])
        while queue:
            node = queue.popleft()
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    queue.append(child)
        # planted bug: BFS order is not a topological order on a DAG (the sweep runs the
        # closures from the end of the list, so in BFS order from the output)
        return order[::-1]
