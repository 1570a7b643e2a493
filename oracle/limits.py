"""The limits a target runs under: a per-case time limit, and a default Python's stack.

**Time.** A hanging engine must be a finding, not a stuck run. The limit uses ``SIGALRM``
(``signal.setitimer``), which interrupts pure-Python loops, the usual way a
scalar engine hangs. Signals only reach the main thread of a process, and not every platform has
them: elsewhere the limit is not enforced (a documented limitation, see :func:`time_limit`).

**Stack.** Hypothesis raises the recursion limit while a test runs, and pytest adds frames of
its own; an engine whose backward pass recurses would then survive graphs that crash it in a
user's script. :func:`default_stack` gives the target exactly the headroom a fresh interpreter
has (:data:`DEFAULT_HEADROOM` frames above the caller).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager

REPEAT_SECONDS = 0.05


class TargetTimeout(BaseException):
    """The target ran past the time limit. A BaseException, so a target's own
    ``except Exception`` cannot swallow it."""


def _can_interrupt() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`TargetTimeout` inside the block after ``seconds`` (None: no limit).

    Without SIGALRM in this thread (Windows, or a worker thread) the block runs unlimited.
    """
    if not seconds or not _can_interrupt():
        yield
        return

    def interrupt(signum, frame):
        raise TargetTimeout(f"no result within the time limit of {seconds:g} s")

    def quietly(unraisable):
        if not isinstance(unraisable.exc_value, TargetTimeout):
            report_unraisable(unraisable)

    previous = signal.signal(signal.SIGALRM, interrupt)
    report_unraisable, sys.unraisablehook = sys.unraisablehook, quietly
    # The alarm repeats: if the first TargetTimeout lands where Python swallows exceptions (a
    # garbage-collector callback, a __del__), the next one stops the target.
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = report_unraisable


DEFAULT_HEADROOM = 1000  # CPython's default recursion limit, as a script starts with


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


@contextmanager
def default_stack(headroom: int = DEFAULT_HEADROOM):
    """Run the block with ``headroom`` frames of recursion left, as in a fresh interpreter."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@contextmanager
def target_limits(seconds: float | None):
    """The time limit and the default stack together: how every target runs."""
    with time_limit(seconds), default_stack():
        yield
