"""Run the eager benchmark and print refgrad's time as a ratio to micrograd's.

    python -m benchmarks.eager [--json FILE] [--summarize-only]

The benchmark itself is ``benchmarks/test_eager.py`` (pytest-benchmark); its JSON file is the
only thing this summary reads, so ``--summarize-only`` re-renders a saved run. Targets (from
the project's issue on the eager engine) are printed next to the measurements, never asserted:
a noisy machine should not fail a build, and only ratios measured in one run are meaningful.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

BASELINE = "micrograd"
RATIO_TARGET = 0.6  # refgrad eager at 1,000 nodes: at most 0.6x micrograd's time
SCALING_TARGET = 1.5  # time per node at 100,000 nodes: at most 1.5x that at 1,000


def run(json_path: Path) -> int:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    return pytest.main(
        [
            str(Path(__file__).with_name("test_eager.py")),
            "--benchmark-only",
            "--benchmark-enable",
            f"--benchmark-json={json_path}",
            "--benchmark-columns=min,median,rounds",
            "-p",
            "no:xdist",
            "-q",
        ]
    )


def medians(json_path: Path) -> dict[tuple[str, int], float]:
    """(engine, nodes) -> median seconds, from a pytest-benchmark JSON file."""
    data = json.loads(json_path.read_text())
    return {
        (bench["extra_info"]["engine"], bench["extra_info"]["nodes"]): bench["stats"]["median"]
        for bench in data["benchmarks"]
    }


def summarize(json_path: Path, console: Console) -> None:
    times = medians(json_path)
    engines = sorted({engine for engine, _ in times}, key=lambda e: (e != BASELINE, e))
    sizes = sorted({size for _, size in times})
    table = Table(title=f"Eager forward + backward, random DAG (medians from {json_path})")
    table.add_column("engine")
    for size in sizes:
        table.add_column(f"{size:,} nodes\nus/node", justify="right")
        table.add_column(f"{size:,} nodes\nx {BASELINE}", justify="right")
    table.add_column(f"us/node growth\n{sizes[0]:,} -> {sizes[-1]:,}", justify="right")
    for engine in engines:
        row = [engine]
        for size in sizes:
            seconds = times.get((engine, size))
            baseline = times.get((BASELINE, size))
            row.append("-" if seconds is None else f"{seconds / size * 1e6:.2f}")
            row.append("-" if seconds is None or not baseline else f"{seconds / baseline:.3f}")
        row.append(_growth(times, engine, sizes))
        table.add_row(*row)
    console.print(table)
    console.print(
        f"Targets for refgrad: at most {RATIO_TARGET}x micrograd at 1,000 nodes; time per node "
        f"at 100,000 at most {SCALING_TARGET}x that at 1,000."
    )


def _growth(times, engine, sizes) -> str:
    small, large = times.get((engine, sizes[0])), times.get((engine, sizes[-1]))
    if small is None or large is None:
        return "-"
    return f"{(large / sizes[-1]) / (small / sizes[0]):.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("reports/eager/benchmark.json"))
    parser.add_argument("--summarize-only", action="store_true", help="re-render a saved JSON file")
    args = parser.parse_args(argv)
    if not args.summarize_only:
        status = run(args.json)
        if status != 0:
            print(f"benchmark run failed (pytest exit status {status})", file=sys.stderr)
            return int(status)
    summarize(args.json, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
