"""A topological sort without a visited set: shared nodes are listed once per path.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The post-order is otherwise right, so trees work. A value reached by two paths appears twice;
its closure runs twice and adds its (by then partial, then full) gradient to its inputs twice.
On a chain of diamonds (``v = v * v`` repeated) the order has exponentially many entries, so
deep DAGs also hang.

Why it is realistic: the visited set looks redundant in a DFS over a graph "that has no
cycles"; leaving it out is a common simplification.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "topological-order"
BUG = (
    "the iterative topological sort has no visited set, so a value used twice appears "
    "twice in the order and its closure runs twice, passing its gradient on twice (and "
    "deep DAGs take exponential time)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    v2 = x0 * x1
    return v2 + v2.tanh()
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
        """Every node this one depends on, each after all of its inputs.

        Depth-first post-order with an explicit stack, so graphs thousands of ops deep do not
        reach Python's recursion limit.
        """
        order = []
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            else:  # planted bug: no visited set; a shared node is expanded once per path
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        return order
