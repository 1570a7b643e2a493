"""Comparing float results the way refgrad promises them: bit for bit, as IEEE values."""

from __future__ import annotations

import math


def same_float(a: float, b: float) -> bool:
    """Equal as IEEE values: any nan equals any nan, and zeros must agree in sign."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
