"""An abs whose derivative at 0 is 0.5: a convention neither torch (0) nor jax (1) takes.

Engine: the corpus's micrograd-style template (``engines/_template.py``: closures, an iterative
topological order, every op of the value protocol) with one change, in ``abs``'s slope at 0.

Not a bug: any value between the one-sided derivatives -1 and 1 is a subgradient, and 0.5 is
the average of the two one-sided slopes, what a central difference at 0 would say. The oracle
must report it as *inside the interval, no known convention* (a third answer that code tuned
on torch or jax would meet) without calling it a bug.
"""

import sys
from pathlib import Path

_ENGINES = str(Path(__file__).resolve().parents[1])  # engines/, home of the template
sys.path.insert(0, _ENGINES)
try:
    from _template import Value as Template
finally:
    sys.path.remove(_ENGINES)

SLOPE_AT_ZERO = 0.5


class Value(Template):
    def __abs__(self):
        slope = SLOPE_AT_ZERO if self.data == 0.0 else math_sign(self.data)
        return self._unary(abs(self.data), slope, "abs")


def math_sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0
