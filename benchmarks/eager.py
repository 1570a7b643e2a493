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
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

BASELINE = "micrograd"
RATIO_TARGET = 0.6  # refgrad eager at 1,000 nodes: at most 0.6x micrograd's time
SCALING_TARGET = 1.5  # time per node at 100,000 nodes: at most 1.5x that at 1,000
COMMAND = "python -m benchmarks.eager"


def run(json_path: Path, test_file: str = "test_eager.py") -> int:
    """Run a benchmark file in a fresh Python process (see test_eager.py's interleaved test)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(Path(__file__).with_name(test_file)),
        "--benchmark-only",
        "--benchmark-enable",
        f"--benchmark-json={json_path}",
        "--benchmark-columns=min,median,rounds",
        "-p",
        "no:xdist",
        "-q",
    ]
    return subprocess.run(command, check=False).returncode


def load(json_path: Path) -> tuple[dict, dict, dict]:
    """Two views of a run, each (engine, nodes) -> seconds, and the run's facts.

    * interleaved: medians of rounds that time every engine once each. All engines share
      whatever else this noisy machine does at the time, so their ratios hold from run to
      run; and since each engine runs after the others, caches are cold, as in a program that
      does other work between gradient evaluations.
    * separate: each engine's own pytest-benchmark case, fastest round: warm caches, the best
      an engine does when it runs back to back. Ratios between cases taken minutes apart are
      less reliable here.
    """
    data = json.loads(json_path.read_text())
    interleaved, separate = {}, {}
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        if info.get("engine") == "interleaved":
            for engine, stats in info["interleaved"].items():
                interleaved[(engine, info["nodes"])] = stats["median"]
        else:
            separate[(info["engine"], info["nodes"])] = bench["stats"]["min"]
    return interleaved, separate, machine_facts(data)


def machine_facts(data: dict) -> dict[str, object]:
    """Date, Python, CPU and cores of a pytest-benchmark JSON run."""
    machine = data["machine_info"]
    return {
        "date": data["datetime"],
        "python": machine["python_version"],
        "cpu": machine.get("cpu", {}).get("brand_raw", "unknown"),
        "cores": machine.get("cpu", {}).get("count", "unknown"),
    }


VIEWS = (
    ("Interleaved rounds (medians; cold caches): the ratios to trust", 0),
    ("Each engine on its own (fastest round; warm caches)", 1),
)


def rows(times: dict[tuple[str, int], float]) -> tuple[list[str], list[list[str]]]:
    """The summary table: per engine, us/node and ratio to micrograd per size, and growth."""
    engines = sorted({engine for engine, _ in times}, key=lambda e: (e != BASELINE, e))
    sizes = sorted({size for _, size in times})
    header = ["engine"]
    for size in sizes:
        header += [f"{size:,} nodes: us/node", f"{size:,} nodes: x {BASELINE}"]
    header.append(f"us/node growth {sizes[0]:,} -> {sizes[-1]:,}")
    table = []
    for engine in engines:
        row = [engine]
        for size in sizes:
            seconds, baseline = times.get((engine, size)), times.get((BASELINE, size))
            row.append("-" if seconds is None else f"{seconds / size * 1e6:.2f}")
            row.append("-" if seconds is None or not baseline else f"{seconds / baseline:.3f}")
        small, large = times.get((engine, sizes[0])), times.get((engine, sizes[-1]))
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
    *views, facts = load(json_path)
    lines = [
        "# Eager forward + backward: refgrad vs micrograd",
        "",
        f"Random DAG with fan-out (`benchmarks/workloads.py`, seed 0), forward and backward, "
        f"measured {facts['date']} on {facts['cpu']} ({facts['cores']} cores), Python "
        f"{facts['python']}. Engines: published micrograd; refgrad's `Value` used as in "
        f"micrograd; the same inside `refgrad.collector_paused()`; and `refgrad.grad`.",
    ]
    for title, index in VIEWS:
        header, table = rows(views[index])
        lines += [
            "",
            f"## {title}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in table),
        ]
    lines += [
        "",
        targets_text(),
        "",
        f"Regenerate: `{COMMAND}` (runs the benchmark, writes this file and `benchmark.json`); "
        f"`{COMMAND} --summarize-only` re-renders this file from `benchmark.json`.",
        "",
    ]
    return "\n".join(lines)


def print_tables(json_path: Path, console: Console) -> None:
    *views, _ = load(json_path)
    for title, index in VIEWS:
        header, table = rows(views[index])
        rendered = Table(title=title)
        for column in header:
            rendered.add_column(column, justify="left" if column == "engine" else "right")
        for row in table:
            rendered.add_row(*row)
        console.print(rendered)
    console.print(targets_text())


def run_and_report(
    argv: list[str] | None,
    description: str,
    test_file: str,
    default_out: Path,
    report: Callable[[Path, Path], None],
) -> int:
    """The command line both benchmark reports share: run ``test_file`` in a fresh process
    (unless ``--summarize-only``), then ``report(json_path, out_dir)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--summarize-only", action="store_true", help="re-render a saved run")
    args = parser.parse_args(argv)
    json_path = args.out / "benchmark.json"
    if not args.summarize_only:
        status = run(json_path, test_file)
        if status != 0:
            print(f"benchmark run failed (pytest exit status {status})", file=sys.stderr)
            return int(status)
    report(json_path, args.out)
    return 0


def _report(json_path: Path, out: Path) -> None:
    (out / "summary.md").write_text(markdown(json_path))
    print_tables(json_path, Console())


def main(argv: list[str] | None = None) -> int:
    description = __doc__.splitlines()[0]
    return run_and_report(argv, description, "test_eager.py", Path("reports/eager"), _report)


if __name__ == "__main__":
    sys.exit(main())
