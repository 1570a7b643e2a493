"""A relu whose derivative at 0 is 2: outside the one-sided derivatives [0, 1], a bug.

Engine: the corpus's micrograd-style template (``engines/_template.py``: closures, an iterative
topological order, every op of the value protocol) with one planted bug, in ``relu``'s slope at
exactly 0. Right everywhere else.

Why it is realistic: a slope table indexed by ``sign(x) + 1`` (``(0, 2, 1)`` where ``(0, 0, 1)``
was meant) is wrong only at the kink, which random floats never hit; only the special points
(the ``edge`` family and its convention table) reach it.
"""

import sys
from pathlib import Path

_ENGINES = str(Path(__file__).resolve().parents[1])  # engines/, home of the template
sys.path.insert(0, _ENGINES)
try:
    from _template import Value as Template
finally:
    sys.path.remove(_ENGINES)

SLOPES = (0.0, 2.0, 1.0)  # BUG: indexed by sign(x) + 1; the middle entry, at 0, should be 0.0


class Value(Template):
    def relu(self):
        sign = (self.data > 0.0) - (self.data < 0.0)
        return self._unary(max(self.data, 0.0), SLOPES[sign + 1], "relu")
