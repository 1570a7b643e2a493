"""A topological sort made iterative the wrong way: depth-first pre-order.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

micrograd's recursive ``build_topo`` appends a node after visiting its inputs. Converted to an
explicit stack, it is tempting to append a node when it is popped and run the closures in that
order (consumers first). On a tree that is right. On a DAG, a value consumed both directly by
the output and through a longer path is reached first through whichever operand is popped
first, and its closure runs before the other path's gradient has arrived.

Why it is realistic: this is the natural-looking bug when removing recursion from micrograd to
survive deep graphs; it only shows on DAGs with the right operand order.
"""

from _template import Value as Template

EXPECTED = "bug"
KIND = "topological-order"
BUG = (
    "backward's iterative depth-first search records each node when it is first reached "
    "(pre-order) instead of after its inputs, which is not a topological order on a DAG."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    v2 = x0 * x1
    return v2.tanh().exp() + v2
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
        """Every node this one depends on, meant to list each node after its inputs.

        Iterative, so deep graphs do not reach the recursion limit.
        """
        order, visited = [], set()
        stack = [self]
        while stack:
            node = stack.pop()
            if node not in visited:
                visited.add(node)
                # planted bug: pre-order; a node can come before one of its consumers on a DAG
                order.append(node)
                stack.extend(node._prev)
        return order[::-1]  # the sweep runs the closures from the end: consumers first
