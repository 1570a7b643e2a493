"""Run the eager benchmark and report refgrad's time as a ratio to micrograd's.

    python -m benchmarks.eager [--out DIR] [--summarize-only]

The benchmark itself is ``benchmarks/test_eager.py`` (pytest-benchmark). Its JSON file,
``DIR/benchmark.json``, is the only thing the summary reads, so ``--summarize-only``
re-renders a saved run into ``DIR/summary.md`` and the terminal. Targets (from the project's
issue on the eager engine) are printed next to the measurements, never asserted: a noisy
machine should not fail a build, and only ratios measured in one run are meaningful.
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
COMMAND = "python -m benchmarks.eager"


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


def load(json_path: Path) -> tuple[dict[tuple[str, int], float], dict]:
    """(engine, nodes) -> median seconds, and the run's machine and date facts."""
    data = json.loads(json_path.read_text())
    medians = {
        (bench["extra_info"]["engine"], bench["extra_info"]["nodes"]): bench["stats"]["median"]
        for bench in data["benchmarks"]
    }
    machine = data["machine_info"]
    facts = {
        "date": data["datetime"],
        "python": machine["python_version"],
        "cpu": machine.get("cpu", {}).get("brand_raw", "unknown"),
        "cores": machine.get("cpu", {}).get("count", "unknown"),
    }
    return medians, facts


def rows(medians: dict[tuple[str, int], float]) -> tuple[list[str], list[list[str]]]:
    """The summary table: per engine, us/node and ratio to micrograd per size, and growth."""
    engines = sorted({engine for engine, _ in medians}, key=lambda e: (e != BASELINE, e))
    sizes = sorted({size for _, size in medians})
    header = ["engine"]
    for size in sizes:
        header += [f"{size:,} nodes: us/node", f"{size:,} nodes: x {BASELINE}"]
    header.append(f"us/node growth {sizes[0]:,} -> {sizes[-1]:,}")
    table = []
    for engine in engines:
        row = [engine]
        for size in sizes:
            seconds, baseline = medians.get((engine, size)), medians.get((BASELINE, size))
            row.append("-" if seconds is None else f"{seconds / size * 1e6:.2f}")
            row.append("-" if seconds is None or not baseline else f"{seconds / baseline:.3f}")
        small, large = medians.get((engine, sizes[0])), medians.get((engine, sizes[-1]))
        growth = "-" if small is None or large is None else (large / sizes[-1]) / (small / sizes[0])
        row.append(growth if growth == "-" else f"{growth:.2f}x")
        table.append(row)
    return header, table


def targets_text() -> str:
    return (
        f"Targets for refgrad: at most {RATIO_TARGET}x micrograd's time at 1,000 nodes; time "
        f"per node at 100,000 nodes at most {SCALING_TARGET}x that at 1,000."
    )


def markdown(json_path: Path) -> str:
    medians, facts = load(json_path)
    header, table = rows(medians)
    lines = [
        "# Eager forward + backward: refgrad vs micrograd",
        "",
        f"Random DAG with fan-out (`benchmarks/workloads.py`, seed 0), median of "
        f"pytest-benchmark rounds, measured {facts['date']} on {facts['cpu']} "
        f"({facts['cores']} cores), Python {facts['python']}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in table),
        "",
        targets_text(),
        "",
        f"Regenerate: `{COMMAND}` (runs the benchmark, writes this file and `benchmark.json`); "
        f"`{COMMAND} --summarize-only` re-renders this file from `benchmark.json`.",
        "",
    ]
    return "\n".join(lines)


def print_table(json_path: Path, console: Console) -> None:
    header, table = rows(load(json_path)[0])
    rendered = Table(title="Eager forward + backward, random DAG (medians)")
    for column in header:
        rendered.add_column(column, justify="left" if column == "engine" else "right")
    for row in table:
        rendered.add_row(*row)
    console.print(rendered)
    console.print(targets_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/eager"))
    parser.add_argument("--summarize-only", action="store_true", help="re-render a saved run")
    args = parser.parse_args(argv)
    json_path = args.out / "benchmark.json"
    if not args.summarize_only:
        status = run(json_path)
        if status != 0:
            print(f"benchmark run failed (pytest exit status {status})", file=sys.stderr)
            return int(status)
    (args.out / "summary.md").write_text(markdown(json_path))
    print_table(json_path, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
