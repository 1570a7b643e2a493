"""A backward pass that starts by zeroing every gradient, the leaves' included.

Engine: the corpus's micrograd-style template (``engines/_template.py``: closures, an iterative
topological order, every op of the value protocol) with one planted bug, in ``backward``.

micrograd's ``backward`` leaves the gradients of interior nodes in place, so a second pass over
the same graph propagates them again (its stale gradients). This engine clears them at the start
of each pass, which is the right idea, but it clears every node it reaches, leaves included: a
leaf then holds the gradient of the last pass only, where torch accumulates every pass into it.
One backward pass on a fresh graph, all the other families check, is exact.

Why it is realistic: "zero the graph before backward" is how people fix the stale gradients, and
the leaves are nodes of the graph like any other.
"""

import sys
from pathlib import Path

_ENGINES = str(Path(__file__).resolve().parents[1])  # engines/, home of the template
sys.path.insert(0, _ENGINES)
try:
    from _template import Value as Template
finally:
    sys.path.remove(_ENGINES)

EXPECTED = "bug"
KIND = "lost-accumulation"
BUG = (
    "backward() sets .grad to 0 on every node of the graph before its pass, leaves included, "
    "so gradients do not accumulate across backward calls."
)
# The stateful properties the bug shows in (oracle.stateful.PROPERTIES); the others pass.
FAILS = ("backward twice", "shared subgraph")


class Value(Template):
    def backward(self):
        order = self._topological_order()
        for node in order:
            node.grad = 0.0  # BUG: meant for the interior nodes' stale gradients only
        self.grad = 1.0
        self._sweep(order)
