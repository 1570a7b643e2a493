"""A global tape, never cleared: a backward pass replays every graph ever built.

Engine: the corpus's micrograd-style template (``engines/_template.py``: closures, every op of
the value protocol) with one planted bug: instead of ordering the output's graph, ``backward``
runs the closures of every node ever made, newest first, from one module-level tape (creation
order is a topological order). It clears the interior gradients of its own graph first, so
going through one graph twice is right. But the tape also holds the graphs built before,
with the gradients their own passes left in them: a backward pass on a second graph runs their
closures again, and their leaves gain a gradient from a graph they are not part of.
One backward pass on a fresh graph, all the other families check, is exact.

Why it is realistic: a global tape (a Wengert list) is the textbook way to record a computation,
and clearing it between graphs is easy to forget when every test builds one graph.
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
    "backward() replays one module-level tape of every node ever made, never cleared, so "
    "the stale gradients of earlier graphs flow into their leaves again."
)
# The stateful properties the bug shows in (oracle.stateful.PROPERTIES); the others pass.
FAILS = ("shared subgraph", "second graph")

TAPE = []  # every node, in creation order; BUG: never cleared


class Value(Template):
    def __init__(self, data, _children=(), _op=""):
        super().__init__(data, _children, _op)
        TAPE.append(self)

    def backward(self):
        for node in self._topological_order():
            if node._prev:
                node.grad = 0.0  # this pass's gradients, not the last one's
        self.grad = 1.0
        for node in reversed(TAPE):  # BUG: other graphs' nodes too, with their old gradients
            node._backward()
