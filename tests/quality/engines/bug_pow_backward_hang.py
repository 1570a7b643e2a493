"""A power whose backward loops forever for exponents of 0 or below.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The slope n * x**(n - 1) of an integer power is computed with a hand-written exponentiation by
squaring, which the author preferred to ``**`` for integer powers. It assumes a non-negative
exponent: ``n >>= 1`` on a negative Python int stops at -1, so ``while n:`` never ends. Forward
values are right (Python's ``**``), so the engine seems to support every exponent until
``backward`` is called through ``x ** 0.0`` or ``x ** -1.0``; fractional exponents are fine.
The loop is pure Python, so a signal (SIGALRM) can interrupt it.

Why it is realistic: in C with unsigned integers the same loop terminates; Python's arithmetic
shift on negative numbers is a classic trap, and tests rarely differentiate negative powers.
"""

from _template import Value as Template
from _template import ieee_power

EXPECTED = "bug"
KIND = "hang"
BUG = (
    "__pow__'s backward computes x**(n - 1) for an integer exponent n by repeated "
    "squaring with `while n:` and `n >>= 1`, which never ends for n - 1 < 0 (x ** 0.0, x "
    "** -1.0, ...)."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1) ** -1.0
"""
WITNESS_INPUTS = (0.5, 1.5)
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** 0.5 + v4 ** 1.5 + v4 ** 4.0 + v4 ** 1.0
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
    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            return NotImplemented
        out = self._new(ieee_power(self.data, exponent), (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * _slope_power(self.data, exponent - 1) * out.grad

        out._backward = _backward
        return out


def _slope_power(base, exponent):
    """base**exponent for the slope of a power; integer exponents by repeated squaring."""
    if not float(exponent).is_integer():
        return ieee_power(base, exponent)
    result, n = 1.0, int(exponent)
    while n:  # planted bug: for n < 0, n >>= 1 reaches -1 and stays there
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result
