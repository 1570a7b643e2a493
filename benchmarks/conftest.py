"""Benchmarks run serially on fixed, seeded workloads (see workloads.py).

Run them with ``python -m benchmarks.eager`` (which also prints the ratios), or directly with
``pytest benchmarks --benchmark-only``. Under ``--benchmark-disable`` (as in CI) each case runs
once, so the suite doubles as a check that every engine computes the same gradients.
"""

import sys

# Published micrograd's backward() is recursive: on these DAGs its depth reaches tens of
# thousands, so the limit is raised for it (Python 3.11 recursion in pure Python is safe).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1_000_000))
