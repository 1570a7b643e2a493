"""Serial against ``--workers 2``: the same seeded oracle campaign, timed both ways.

    python -m benchmarks.oracle_parallel [--out DIR] [--max-examples N] [--families F,G]

Runs ``oracle check refgrad --per-op`` and ``oracle check refgrad --workers 2`` (pytest-xdist
through the plugin) one after the other, with the same seed, families and examples, each in a
fresh process; compares their verdicts unit by unit (verdict counts, bug and warning ids) and
writes ``DIR/parallel.md`` with the wall times. Parallel runs pay a fixed start-up (each
worker imports torch and JAX and warms JAX up) and cannot split a unit, so small campaigns
are slower in parallel; the default campaign here is sized like a CI run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def machine_facts() -> dict[str, str]:
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": platform.machine(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
    }


def run(arguments: list[str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "oracle", "check", "refgrad", *arguments],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"oracle check {' '.join(arguments)} failed:\n{completed.stderr}")
    return seconds


def verdicts(path: Path) -> dict:
    data = json.loads(path.read_text())
    return {
        unit["unit"]: (
            unit["verdicts"],
            sorted(bug["id"] for bug in unit["bugs"]),
            sorted(warning["id"] for warning in unit["warnings"]),
        )
        for unit in data["families"]
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/oracle", help="directory of parallel.md")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--families", default="smooth,edge")
    options = parser.parse_args(argv)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    common = ["--families", options.families, "--max-examples", str(options.max_examples)]
    with tempfile.TemporaryDirectory() as directory:  # result files: large, and not the point
        serial_json, parallel_json = Path(directory) / "serial.json", Path(directory) / "n2.json"
        serial = run([*common, "--per-op", "--json", str(serial_json)])
        parallel = run([*common, "--workers", "2", "--json", str(parallel_json)])
        same = verdicts(serial_json) == verdicts(parallel_json)
        units = len(verdicts(serial_json))
        points = sum(unit["points"] for unit in json.loads(serial_json.read_text())["families"])
    facts = machine_facts()
    command = f"python -m benchmarks.oracle_parallel --max-examples {options.max_examples} "
    command += f"--families {options.families}"
    text = "\n".join(
        [
            "# The oracle in parallel: serial against `--workers 2`",
            "",
            f"Regenerate: `{command}`. Measured {facts['date']} on {facts['cpu']} "
            f"({facts['cores']} cores), Python {facts['python']}.",
            "",
            f"`oracle check refgrad --families {options.families} --max-examples "
            f"{options.max_examples}`, {units} units (per family and per op), {points:,} "
            "points, seed 0, every installed reference; wall time of the whole command.",
            "",
            "| run | seconds |",
            "|---|---:|",
            f"| serial (`--per-op`) | {serial:.1f} |",
            f"| `--workers 2` (pytest-xdist) | {parallel:.1f} |",
            "",
            f"Speed-up {serial / parallel:.2f}x. Same verdicts unit by unit (verdict counts, bug "
            f"and warning ids): **{'yes' if same else 'NO'}**.",
            "",
        ]
    )
    (out / "parallel.md").write_text(text)
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
