"""Pausing Python's cyclic garbage collector while refgrad builds big graphs.

refgrad's graphs (eager Values and static graph nodes alike) hold no reference cycles, so the
collector finds nothing in them; yet it rescans the whole growing graph again and again while
one is built, which on a 100,000-node graph is most of the time per node. The functional API
and the optimisation passes pause it; user code can too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block; restore its state after.

    refgrad's graphs hold no reference cycles, so the collector finds nothing in them, yet it
    rescans the whole growing graph again and again while a big one is built: on a
    100,000-node graph that is most of the time per node. The functional API pauses it for
    you; wrap micrograd-style ``Value`` code in this to get the same effect. Garbage cycles
    made by your own code inside the block are collected after it, as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
