"""The benchmark suite's report (benchmarks/suite.py, suite_report.py, suite_plots.py) renders
from its saved JSON file alone, the same bytes every time, and writes its plots as PNG files.

The fixture ``data/bench_suite_small.json`` is a real quick run cut down to a few cases: the
random DAG at 10, 1,000 and 100,000 nodes, the MLP at 10, and two oracle campaigns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import suite, suite_report
from oracle import bench

ROOT = Path(__file__).parents[1]
FIXTURE = Path(__file__).parent / "data" / "bench_suite_small.json"
COMMITTED = sorted(
    path.parent
    for path in (ROOT / "reports").glob("*/report.md")
    if (path.parent / "benchmark.json").exists()
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run() -> suite_report.Run:
    return suite_report.load(FIXTURE)


def test_the_markdown_is_the_same_every_time(run):
    assert suite_report.markdown(run) == suite_report.markdown(suite_report.load(FIXTURE))


def test_another_process_renders_the_same_markdown(run):
    # Another hash seed: no set or dict order may leak into the report.
    script = (
        "import sys; from benchmarks import suite_report; "
        "sys.stdout.write(suite_report.markdown(suite_report.load(sys.argv[1])))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"}
    rendered = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURE)],
        capture_output=True,
        encoding="utf-8",
        check=True,
        cwd=ROOT,
        env=environment,
    ).stdout
    assert rendered == suite_report.markdown(run)


def test_the_headline_gives_every_mode_as_a_ratio_to_micrograd(run):
    text = suite_report.markdown(run)
    headline = text.split("## Headline")[1].split("## Targets")[0]
    assert "1,000 nodes: µs per node" in headline and "100,000 nodes: µs per node" in headline
    for engine in ("refgrad eager", "refgrad static", "refgrad compiled", "refgrad batched"):
        assert f"| {engine} |" in headline
        for size in (1_000, 100_000):
            expected = run.seconds("random_dag", size, engine) / run.seconds(
                "random_dag", size, "micrograd"
            )
            assert suite_report.ratio(expected) in headline
    assert "![Time per node on the random DAG, every engine](headline.png)" in headline


def test_every_target_is_checked_and_one_not_met_says_why(run):
    checks = suite_report.checks(run)
    assert len(checks) == 11
    assert all(check.met is not None for check in checks)  # the fixture has every size
    for check in checks:
        assert bool(check.why) == (check.met is False)
    text = suite_report.markdown(run)
    for check in checks:
        assert check.target in text


def test_sizes_over_budget_are_shown_with_the_reason(run):
    text = suite_report.markdown(run)
    assert "over budget (extrapolated >=" in text
    record = run.record("random_dag", 100_000, "jax.jit")
    assert record["status"].startswith("over budget") and f"{record['status']}." in text


def test_numbers_are_formatted_for_reading():
    assert suite_report.number(1234.5) == "1,234"  # (rounded half to even)
    assert suite_report.number(12.345) == "12.3"
    assert suite_report.number(0.0012345) == "0.00123"
    assert suite_report.duration(0.0411) == "41.1 ms"
    assert suite_report.duration(7.35) == "7.35 s"
    assert suite_report.duration(4.26e-9) == "4.26 ns"
    assert suite_report.ratio(0.4425) == "0.443x"
    assert suite_report.ratio(0.0268) == "1/37"


def test_report_renders_markdown_html_and_png_plots_from_saved_json(tmp_path, run, capsys):
    pytest.importorskip("matplotlib")
    assert suite.main(["report", str(FIXTURE), "--out", str(tmp_path)]) == 0
    expected = {"report.md", "report.html", *suite_report.PLOTS}
    assert {path.name for path in tmp_path.iterdir()} == expected
    assert capsys.readouterr().out.count("wrote ") == len(expected)
    for name in suite_report.PLOTS:
        image = (tmp_path / name).read_bytes()
        assert image.startswith(PNG_SIGNATURE) and len(image) > 10_000, name
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for name in suite_report.PLOTS:
        assert f'src="{name}"' in page
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == suite_report.markdown(run)


def test_a_file_that_is_not_a_suite_run_is_refused_clearly(tmp_path):
    other = tmp_path / "result.json"
    other.write_text(json.dumps({"format": "refgrad-oracle-result", "benchmarks": []}))
    with pytest.raises(suite_report.ReportError, match="not a benchmark-suite result"):
        suite_report.load(other)
    assert bench.is_benchmark_run(FIXTURE) and not bench.is_benchmark_run(other)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.suite", "report", str(other)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert "not a benchmark-suite result" in completed.stderr
    assert not (tmp_path / "report.md").exists()


@pytest.mark.parametrize("directory", COMMITTED, ids=lambda path: path.name)
def test_a_committed_report_regenerates_from_its_json(directory):
    run = suite_report.load(directory / "benchmark.json")
    assert suite_report.markdown(run) == (directory / "report.md").read_text(encoding="utf-8")


def test_the_readme_headline_goes_between_its_markers_and_links_the_report():
    readme = f"# Title\n\nbefore\n{suite.README_START}\nold\n{suite.README_END}\nafter\n"
    updated = suite.readme_with_headline(readme, FIXTURE)
    before, block = updated.split(suite.README_START)
    block, after = block.split(suite.README_END)
    assert before == "# Title\n\nbefore\n" and after == "\nafter\n"
    assert "old" not in block
    assert "](tests/data/report.md)" in block and "](tests/data/headline.png)" in block
    assert "| refgrad compiled |" in block and "Targets: " in block
    assert suite.readme_with_headline(updated, FIXTURE) == updated  # idempotent


def test_a_readme_without_its_markers_is_refused():
    with pytest.raises(suite_report.ReportError, match="bench-headline:start"):
        suite.readme_with_headline("# no markers here\n", FIXTURE)


def test_the_readme_headline_is_the_committed_run_s():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(suite.README_START)[1].split(suite.README_END)[0]
    linked = re.search(r"\]\((reports/[^/)]+)/report\.md\)", block)
    assert linked, "README.md's benchmark headline links no report under reports/"
    json_path = ROOT / linked[1] / "benchmark.json"
    assert suite.readme_with_headline(readme, json_path) == readme, (
        "README.md's benchmark headline is stale: run python -m benchmarks.suite readme"
    )
