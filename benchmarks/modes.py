"""Run the modes benchmark and report static, compiled and batched refgrad against micrograd.

    python -m benchmarks.modes [--out DIR] [--summarize-only]

Reads only the pytest-benchmark JSON (``DIR/benchmark.json``) that
``benchmarks/test_modes.py`` writes, and renders ``DIR/summary.md``. Targets from the
project's issue on the static and compiled modes are printed beside the measurements.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.eager import machine_facts, run_and_report

COMMAND = "python -m benchmarks.modes"
TARGETS = (
    "static run at most 1/3 of micrograd's time; compiled run at most 1/50; trace + optimise "
    "+ code generation at most 30 ms per 1,000 nodes; batched at most 10 ns per node per point "
    "at 10,000 points; per-node cost at 100,000 nodes at most 1.5x that at 1,000."
)


def markdown(json_path: Path) -> str:
    data = json.loads(json_path.read_text())
    facts = machine_facts(data)
    modes = sorted(
        (b["extra_info"] for b in data["benchmarks"] if b["extra_info"]["engine"] == "modes"),
        key=lambda info: info["nodes"],
    )
    batched = [b for b in data["benchmarks"] if b["extra_info"]["engine"] == "batched"]
    lines = [
        "# refgrad's modes: eager, static, compiled, batched",
        "",
        f"Random DAG with fan-out (`benchmarks/workloads.py`, seed 0), forward + backward, "
        f"medians of interleaved rounds; measured {facts['date']} on {facts['cpu']} "
        f"({facts['cores']} cores), Python {facts['python']}. Rounds call the engines from "
        "stack depths 13 apart over 136 (`_depth` in `benchmarks/test_modes.py`: CPython 3.11 "
        "maps a fresh frame-stack chunk on every call at unlucky depths, a band as wide as the "
        "called frame is big).",
        "",
        "| nodes | engine | us/node | x micrograd |",
        "|---|---|---|---|",
    ]
    for info in modes:
        baseline = info["medians"]["micrograd"]
        for engine, seconds in info["medians"].items():
            lines.append(
                f"| {info['nodes']:,} | {engine} | {seconds / info['nodes'] * 1e6:.3f} | "
                f"{seconds / baseline:.4f} (1/{baseline / seconds:.0f}) |"
            )
    lines += ["", "| nodes | compile (first call) static | compiled | graph nodes | peak slots |"]
    lines.append("|---|---|---|---|---|")
    for info in modes:
        seconds = info["compile_seconds"]
        lines.append(
            f"| {info['nodes']:,} | {seconds['static'] * 1e3:.0f} ms | "
            f"{seconds['compiled'] * 1e3:.0f} ms | {info['graph_nodes']:,} | "
            f"{info['peak_live_slots']:,} |"
        )
    for bench in batched:
        info, median = bench["extra_info"], bench["stats"]["median"]
        per_point = median / info["nodes"] / info["points"] * 1e9
        lines += [
            "",
            f"Batched: {info['nodes']:,} nodes at {info['points']:,} points per call: "
            f"{median * 1e3:.1f} ms per call, {per_point:.2f} ns per node per point "
            f"(compile {info['compile_seconds'] * 1e3:.0f} ms).",
        ]
    if len(modes) >= 2:
        small, large = modes[0], modes[-1]
        lines += ["", f"Per-node growth {small['nodes']:,} -> {large['nodes']:,}:"]
        for engine in small["medians"]:
            growth = (large["medians"][engine] / large["nodes"]) / (
                small["medians"][engine] / small["nodes"]
            )
            lines.append(f"- {engine}: {growth:.2f}x")
    lines += ["", f"Targets: {TARGETS}", ""]
    lines += _target_status(modes, batched)
    lines += [
        "",
        f"Regenerate: `{COMMAND}`; `{COMMAND} --summarize-only` re-renders from `benchmark.json`.",
        "",
    ]
    return "\n".join(lines)


def _target_status(modes: list[dict], batched: list[dict]) -> list[str]:
    """One line per target: the measured number and whether it is met, from this run."""
    small, large = modes[0], modes[-1]

    def ratio(info: dict, engine: str) -> float:
        return info["medians"][engine] / info["medians"]["micrograd"]

    def growth(engine: str) -> float:
        per_node = [info["medians"][engine] / info["nodes"] for info in (small, large)]
        return per_node[1] / per_node[0]

    checks = [
        (
            "static run",
            f"1/{1 / ratio(small, 'refgrad static'):.0f}",
            ratio(small, "refgrad static") <= 1 / 3,
        ),
        (
            "compiled run",
            f"1/{1 / ratio(small, 'refgrad compiled'):.0f}",
            ratio(small, "refgrad compiled") <= 1 / 50,
        ),
    ]
    for info in modes:  # the compile target is per 1,000 nodes, at every size
        compile_ms = info["compile_seconds"]["compiled"] * 1e3 * 1_000 / info["nodes"]
        checks.append(
            (
                f"trace + optimise + codegen at {info['nodes']:,} nodes",
                f"{compile_ms:.1f} ms per 1,000 nodes",
                compile_ms <= 30,
            )
        )
    for bench in batched:
        info = bench["extra_info"]
        per_point = bench["stats"]["median"] / info["nodes"] / info["points"] * 1e9
        checks.append(("batched", f"{per_point:.2f} ns per node per point", per_point <= 10))
    for engine in ("refgrad static", "refgrad compiled"):
        checks.append((f"growth, {engine}", f"{growth(engine):.2f}x", growth(engine) <= 1.5))
    return [
        f"- {name}: {measured}: {'met' if met else '**not met**'}" for name, measured, met in checks
    ]


def _report(json_path: Path, out: Path) -> None:
    text = markdown(json_path)
    (out / "summary.md").write_text(text)
    print(text)


def main(argv: list[str] | None = None) -> int:
    description = __doc__.splitlines()[0]
    return run_and_report(argv, description, "test_modes.py", Path("reports/modes"), _report)


if __name__ == "__main__":
    sys.exit(main())
