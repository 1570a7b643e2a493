"""Small measuring tools the benchmark suites share: timing a call, calling from a shifted
stack depth, and the peak resident memory of one call.

Peak resident memory uses Linux's per-process high-water mark: writing ``5`` to
``/proc/self/clear_refs`` resets ``VmHWM`` to the current resident size, so ``VmHWM`` read
after a call is the most the process held during it. Elsewhere (no ``/proc``) the peak is
None and reports print "n/a".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")

# The largest high-water mark seen before any reset: the whole process's peak so far.
_process_peak = 0


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of ``call()``."""
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


DEPTH_SHIFTS = 5  # test_modes.py: rounds call the engines from 0..4 extra frames deep, in turn

# The suite spreads its depths further: ``depth_of_round(i)`` is 0, 13, 26, ... modulo 64.
# Measured here (refgrad eager, 1,000- and 10,000-node DAGs, depths 0..199 of ``at_depth``):
# the slow depths come in runs of up to four consecutive depths, about one run in 70, so
# five consecutive shifts can put most rounds in one slow run; 13 apart, a slow run holds at
# most one of any four consecutive rounds.
DEPTH_STRIDE = 13
DEPTH_SPAN = 64


def depth_of_round(index: int) -> int:
    """The extra stack depth round ``index`` runs at (see DEPTH_STRIDE)."""
    return index * DEPTH_STRIDE % DEPTH_SPAN


def at_depth(extra_frames: int, call: Callable[[], Any]) -> Any:
    """``call()`` from ``extra_frames`` Python frames deeper than here.

    CPython 3.11 frees a frame-stack chunk as soon as the frame at its start returns
    (python/cpython#142183, fixed in 3.13+): an engine whose per-op Python calls happen to
    start at a chunk boundary maps and unmaps a chunk on every one of them, thousands of page
    faults per gradient, 3-15x slower. Which engine is hit depends only on the stack depth
    (about one depth in sixty, measured here), so a fixed depth made one engine look slow in
    every round (refgrad eager, 1.16x micrograd's time against 0.4x in a plain loop). Shifting
    the depth from round to round keeps an unlucky depth out of the medians.
    """
    return call() if extra_frames == 0 else at_depth(extra_frames - 1, call)


def _status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (``VmRSS``, ``VmHWM``) in bytes."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")  # (slow: it may run ldconfig, so once)
    return None if name is None else getattr(ctypes.CDLL(name), "malloc_trim", None)


def _give_back_free_memory() -> None:
    """Ask glibc to return freed heap pages to the system (best effort), so that memory one
    engine freed is not silently reused by the next one's measured call."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class ResidentPeak:
    """``with ResidentPeak() as peak: call()`` sets ``peak.extra``: the most resident memory
    (bytes) the process held during the block above what it held at the start, or None where
    the high-water mark cannot be reset. Memory the process already held and reused during
    the block is not counted, so this is a lower bound of what the call needs."""

    def __init__(self) -> None:
        self.extra: int | None = None
        self._start: int | None = None

    def __enter__(self) -> ResidentPeak:
        global _process_peak
        _give_back_free_memory()
        _process_peak = max(_process_peak, _status_bytes("VmHWM") or 0)
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            return self
        self._start = _status_bytes("VmRSS")
        return self

    def __exit__(self, *exc_info: object) -> None:
        peak = _status_bytes("VmHWM")
        if self._start is not None and peak is not None:
            self.extra = max(0, peak - self._start)


def process_peak() -> int | None:
    """The process's peak resident memory so far (bytes), across ResidentPeak's resets."""
    now = _status_bytes("VmHWM")
    return None if now is None else max(now, _process_peak)
