"""Benchmarks run serially on fixed, seeded workloads (see workloads.py).

Run them with ``python -m benchmarks.eager`` (which also prints the ratios), or directly with
``pytest benchmarks --benchmark-only``. Under ``--benchmark-disable`` (as in CI) each case runs
once, so the suite doubles as a check that every engine computes the same gradients.

The full suite (``test_suite.py``, ``python -m benchmarks.suite``) takes ``--bench-preset``
(see presets.py) and writes what the whole run shares into the JSON file's ``suite`` entry.
"""

import sys

import pytest

# Published micrograd's backward() is recursive: on these DAGs its depth reaches tens of
# thousands, so the limit is raised for it (Python 3.11 recursion in pure Python is safe).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1_000_000))


def pytest_addoption(parser):
    parser.addoption(
        "--bench-preset",
        default=None,
        choices=("check", "quick", "full"),
        help="what benchmarks/test_suite.py runs (benchmarks/presets.py); default: quick when "
        "benchmarks are timed, check under --benchmark-disable",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Add the suite's run facts (preset, budgets, versions, load) when the suite ran."""
    if any(bench["extra_info"].get("suite") for bench in output_json["benchmarks"]):
        from benchmarks.test_suite import run_facts

        output_json["suite"] = run_facts(config)
