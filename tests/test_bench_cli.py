"""``oracle bench`` and ``oracle report`` of a benchmark run (oracle/bench.py): the CLI's door
to the benchmark suite in the checkout.

Running the suite itself takes minutes (the quick preset) to most of an hour (the full one),
so here ``oracle bench`` is checked to hand its options to the suite's ``run_suite`` and to
pass its exit status on; the suite's own tests (benchmarks/test_suite.py) run its cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import suite, suite_plots, suite_report
from oracle import bench, cli

FIXTURE = Path(__file__).parent / "data" / "bench_suite_small.json"
ORACLE_RESULT = Path(__file__).parents[1] / "reports" / "oracle" / "refgrad.json"


def test_report_of_a_benchmark_run_writes_the_suite_s_report(tmp_path, monkeypatch, capsys):
    # The plots are the suite's own tests' business (tests/test_bench_report.py); drawing
    # them again here would only cost time.
    monkeypatch.setattr(suite_plots, "write_plots", lambda run, out: [out / "plots.png"])
    assert cli.main(["report", str(FIXTURE), "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"wrote {tmp_path / name}" for name in ("report.md", "report.html", "plots.png")
    ]
    run = suite_report.load(FIXTURE)
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == suite_report.markdown(run)
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == suite_report.html(run)


def test_a_benchmark_run_refuses_a_format(capsys):
    assert cli.main(["report", str(FIXTURE), "--format", "summary"]) == cli.USAGE_ERROR
    assert "benchmark run, which renders every format at once" in capsys.readouterr().err


def test_an_oracle_result_file_still_renders_as_before(capsys):
    assert cli.main(["report", str(ORACLE_RESULT)]) == 0
    assert capsys.readouterr().out.startswith("# oracle check refgrad")


def test_a_damaged_benchmark_run_is_refused_clearly(tmp_path, capsys):
    damaged = tmp_path / "benchmark.json"
    damaged.write_text('{"suite": {"format": "nonsense"}, "benchmarks": []}')
    assert cli.main(["report", str(damaged)]) == cli.USAGE_ERROR
    error = capsys.readouterr().err
    assert str(damaged) in error and "error" in error


def test_bench_hands_its_options_to_the_suite_and_returns_its_status(monkeypatch, tmp_path):
    calls = []

    def run_suite(name, quick, reports):
        calls.append((name, quick, reports))
        return 1  # a case failed

    monkeypatch.setattr(suite, "run_suite", run_suite)
    arguments = ["bench", "--quick", "--name", "mine", "--reports", str(tmp_path)]
    assert cli.main(arguments) == 1
    assert calls == [("mine", True, tmp_path)]


def test_without_the_checkout_bench_says_where_the_suite_lives(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(bench, "CHECKOUT", tmp_path)
    assert cli.main(["bench", "--quick"]) == cli.USAGE_ERROR
    assert "runs from a source checkout" in capsys.readouterr().err
    with pytest.raises(bench.BenchmarksUnavailable):
        bench.render(FIXTURE, tmp_path)


def test_only_a_suite_run_counts_as_one():
    assert bench.is_benchmark_run(FIXTURE)
    assert not bench.is_benchmark_run(ORACLE_RESULT)
    assert not bench.is_benchmark_run(Path("no/such/file.json"))
