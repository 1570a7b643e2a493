"""A log whose backward uses its input rounded to float32: slopes off by up to 6e-8.

Engine: the corpus's micrograd-style template (every op computes its local derivatives and
records a closure; ``backward`` runs the closures over an iterative topological order; every op
of the value protocol) with one planted bug.

The input saved for the backward pass is stored as ``numpy.float32``; the slope 1/x is then
computed from a value with 24 bits of precision instead of 53. The forward value is exact, and
the error (a relative 2**-24 at most, zero when x happens to be a float32) is invisible in
printed gradients.

Why it is realistic: storing saved activations in lower precision to halve memory is what
mixed-precision training does; here it slipped into a float64 engine.
"""

import math

import numpy
from _template import Value as Template

EXPECTED = "bug"
KIND = "precision-loss"
BUG = (
    "log saves its input for backward as a numpy.float32, so the slope 1/x carries a "
    "relative error of up to 6e-8."
)

# WITNESS shows the planted bug; CONTROL avoids it and is computed correctly.
# tests/quality/test_corpus.py runs both here and on torch float64 autograd.
WITNESS = """
def f(x0, x1):
    return (x0 * x1).log()
"""
WITNESS_INPUTS = (0.7, 1.9)
WITNESS_ERROR = (1e-09, 1e-06)  # subtle: the witness is off by a relative 1e-9..1e-6
CONTROL = """
def f(x0, x1, x2):
    v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0 + (1.5 - x1) / x2 - (-x2)
    v4 = v3 * v3 / 20.0 + 0.5 / v3 + (x2 + x2) * 0.25 - (1.0 + x0)
    v5 = v4 ** 2.0 + v4 ** 3.0 + v4 ** -1.0 + v4 ** 0.5 + v4 ** -2.0 + v4 ** 1.5 + v4 ** 0.0
    v5 = v5 + (v4 - 1.0).relu() + (1.0 - v4).relu()
    v5 = v5 + (v4 * 0.7).tanh()
    v5 = v5 + (v4 * 0.5).exp()
    v5 = v5 + (v4 - 2.0).sigmoid()
    v5 = v5 + v4.sin()
    v5 = v5 + v4.cos()
    v5 = v5 + v3.sqrt()
    v5 = v5 + abs(v3 - 8.0) + abs(v4)
    return v5 * v4 + v5 / x2
"""
CONTROL_INPUTS = (0.8, -1.3, 2.1)


class Value(Template):
    def log(self):
        out = self._new(math.log(self.data), (self,), "log")
        saved = numpy.float32(self.data)  # planted bug: saved in float32 to save memory

        def _backward():
            self.grad += out.grad / float(saved)

        out._backward = _backward
        return out
