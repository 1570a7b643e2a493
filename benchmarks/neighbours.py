"""What the engines sharing the suite's rounds do to refgrad's ratios to micrograd.

    python -m benchmarks.neighbours [--nodes N] [--pairs P] [--out DIR]

The benchmark suite (``benchmarks/test_suite.py``) times every engine in the same interleaved
rounds of one process, torch and JAX included, and there refgrad's ratios to micrograd come
out worse than in its own benchmarks (``benchmarks.modes``, ``benchmarks.eager``), whose
rounds hold only refgrad and micrograd. This runs the suite's own steps for one case, the
random DAG at N nodes (``test_suite.time_case``: prepare, check, size, time interleaved
rounds), each time in a fresh process: with the full preset's engines, and without the JAX
engines, alternately, P times each. torch.compile is left out of both: it is over its
compile budget at every size the suite runs the random DAG at.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import summary
from benchmarks.presets import ALL_SIZES, FULL, Preset
from benchmarks.workloads import WORKLOADS

COMMAND = "python -m benchmarks.neighbours"
LEFT_OUT = ("torch.compile",)
SETTINGS = {"every engine": (), "without JAX": ("jax eager", "jax.jit")}


def measure_once(nodes: int, without: tuple[str, ...], base: Preset = FULL) -> dict[str, float]:
    """One case timed as the suite times it with preset ``base``, in this process: each
    engine's median seconds per call, leaving out ``LEFT_OUT`` and ``without``."""
    from benchmarks.test_suite import time_case  # (imports pytest: not at module level)

    left_out = set(LEFT_OUT) | set(without)
    engines = tuple(name for name in base.engines if name not in left_out)
    preset = dataclasses.replace(base, engines=engines)
    workload = WORKLOADS["random_dag"](nodes)
    entries, _ = time_case(workload, ("random_dag", nodes), preset, _run_rounds)
    return {name: entry.record["median"] for name, entry in entries.items() if entry.samples}


def _run_rounds(one_round, rounds: int) -> None:
    for _ in range(rounds):
        one_round()


def measure(nodes: int, pairs: int) -> list[dict]:
    """``pairs`` runs of each setting, alternating, each in a fresh process."""
    runs = []
    for _ in range(pairs):
        for setting, without in SETTINGS.items():
            command = [sys.executable, "-m", "benchmarks.neighbours", "--child", str(nodes)]
            command += [f"--without={name}" for name in without]
            child = subprocess.run(command, capture_output=True, text=True, check=False)
            if child.returncode != 0:
                last = (child.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"the run {setting!r} failed ({child.returncode}): {last}")
            medians = json.loads(child.stdout.splitlines()[-1])  # (engines may print first)
            runs.append({"setting": setting, "medians": medians})
    return runs


def markdown(nodes: int, runs: list[dict]) -> str:
    names = list(dict.fromkeys(name for run in runs for name in run["medians"]))
    columns = [f"{run['setting']} ({index + 1})" for index, run in enumerate(runs)]
    lines = [
        "# refgrad's ratios to micrograd, with and without JAX in the suite's rounds",
        "",
        f"Random DAG (`benchmarks/workloads.py`), {nodes:,} nodes, timed as the benchmark "
        "suite times it (`benchmarks/test_suite.py`, preset `full`), each column in a fresh "
        f"process, the settings alternating; torch.compile left out of all. Measured "
        f"{summary.measured_here()}. Each cell: the engine's median time over micrograd's in "
        "the same rounds.",
        "",
        "| engine | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name in names:
        cells = [_ratio(run["medians"], name) for run in runs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    micrograd = [f"{run['medians']['micrograd'] * 1e6 / nodes:.2f}" for run in runs]
    lines += [
        "| micrograd, µs per node | " + " | ".join(micrograd) + " |",
        "",
        f"Regenerate: `{COMMAND} --nodes {nodes} --pairs {len(runs) // len(SETTINGS)}`.",
        "",
    ]
    return "\n".join(lines)


def _ratio(medians: dict[str, float], name: str) -> str:
    if name not in medians:
        return "not run"
    ratio = medians[name] / medians["micrograd"]
    return f"{ratio:.3f}" if ratio >= 0.1 else f"1/{1 / ratio:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--nodes", type=int, default=1_000, choices=ALL_SIZES, help="a size the suite times"
    )
    parser.add_argument("--pairs", type=int, default=2, help="runs of each setting")
    parser.add_argument("--out", type=Path, default=Path("reports/neighbours"))
    parser.add_argument("--child", type=int, metavar="NODES", help=argparse.SUPPRESS)
    parser.add_argument("--without", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:  # one measurement, for the parent process to read
        print(json.dumps(measure_once(args.child, tuple(args.without))))
        return 0
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    try:
        text = markdown(args.nodes, measure(args.nodes, args.pairs))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    summary.write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
