"""The modes benchmark's summary (benchmarks/modes.py): every target judged from the run's own
numbers, the compile target at every size measured."""

from __future__ import annotations

import json

from benchmarks import modes


def _run(tmp_path, compile_seconds: dict[int, float]):
    benchmarks = []
    for nodes, seconds in compile_seconds.items():
        medians = {
            "micrograd": 3e-6 * nodes,
            "refgrad static": 0.4e-6 * nodes,
            "refgrad compiled": 0.1e-6 * nodes,
        }
        info = {
            "engine": "modes",
            "nodes": nodes,
            "medians": medians,
            "compile_seconds": {"static": seconds / 2, "compiled": seconds},
            "graph_nodes": 3 * nodes,
            "peak_live_slots": nodes // 2,
        }
        benchmarks.append({"extra_info": info, "stats": {"median": 0.0}})
    data = {
        "datetime": "2026-11-26T00:00:00",
        "machine_info": {"python_version": "3.11.7", "cpu": {"brand_raw": "cpu", "count": 2}},
        "benchmarks": benchmarks,
    }
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps(data))
    return modes.markdown(path)


def test_the_compile_target_is_judged_at_every_size(tmp_path):
    text = _run(tmp_path, {1_000: 0.025, 100_000: 3.5})
    assert "- trace + optimise + codegen at 1,000 nodes: 25.0 ms per 1,000 nodes: met" in text
    assert (
        "- trace + optimise + codegen at 100,000 nodes: 35.0 ms per 1,000 nodes: **not met**"
        in text
    )
    assert "- compiled run: 1/30: **not met**" in text
    assert "- static run: 1/8: met" in text
