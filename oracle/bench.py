"""``oracle bench`` and ``oracle report`` of a benchmark run: the door to ``benchmarks/suite.py``.

The benchmark suite lives in the source checkout (``benchmarks/``), not in the installed
packages: it runs pytest on its own test file with the checkout's configuration, and its
workloads are fixed, seeded corpora that belong with the code they measure. So these commands
work from a checkout installed with ``pip install -e ".[bench]"`` (the README's command), and
anywhere else they say so instead of failing on an import.

* ``oracle bench [--quick] [--name NAME] [--reports DIR]`` runs the suite and writes
  ``DIR/NAME/`` (default ``reports/latest/``): ``benchmark.json``, ``report.md``,
  ``report.html`` and the PNG plots;
* ``oracle report DIR/NAME/benchmark.json [-o DIR]`` renders the report and plots again from
  the saved JSON alone, without running anything (the same JSON gives the same Markdown).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


class BenchmarksUnavailable(RuntimeError):
    """The benchmark suite is not here: refgrad was installed without its source checkout."""


def suite_module():
    """``benchmarks.suite`` from the checkout this ``oracle`` package was installed from."""
    if not (CHECKOUT / "benchmarks" / "suite.py").is_file():
        raise BenchmarksUnavailable(
            f"the benchmark suite is not beside this installation ({CHECKOUT} has no "
            "benchmarks/suite.py); it runs from a source checkout: clone the repository and "
            "pip install -e '.[bench]' there"
        )
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    return importlib.import_module("benchmarks.suite")


def is_benchmark_run(path: str | Path) -> bool:
    """Whether ``path`` holds a benchmark suite run rather than an oracle result file.

    Only the shape is looked at here (pytest-benchmark's ``benchmarks`` list beside the suite's
    own ``suite`` facts), so that a suite file is recognised, and refused clearly, even where
    the suite itself is unavailable; rendering checks the format in full.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "suite" in data and "benchmarks" in data


def run(name: str, quick: bool, reports: Path) -> int:
    """Run the suite and write ``reports/name/``; pytest's exit status."""
    return suite_module().run_suite(name, quick, reports)


def render(json_path: str | Path, out: str | Path | None) -> list[Path]:
    """Write the report and plots of a saved run into ``out`` (default: beside the JSON).

    Raises ValueError (the suite's ReportError) when the file is not a usable suite run.
    """
    suite = suite_module()
    return suite.write_report(Path(json_path), None if out is None else Path(out))
