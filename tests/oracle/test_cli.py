"""The command line, end to end in a subprocess: exit codes, output, the result file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oracle import results

QUALITY = Path(__file__).parents[1] / "quality" / "engines"
FAST = ["--max-examples", "5", "--references", "torch,mpmath"]


def oracle(*arguments, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "oracle", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_refgrad_passes_and_writes_a_result_file_and_report(tmp_path):
    path, markdown = tmp_path / "result.json", tmp_path / "report.md"
    run = oracle("check", "refgrad", *FAST, "--json", str(path), "--report", str(markdown))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no target bug found" in run.stdout
    rendered = oracle("report", str(path))
    assert rendered.returncode == 0 and rendered.stdout == markdown.read_text()
    assert "**No target bug found**" in rendered.stdout and "| smooth | 5 | 20 |" in rendered.stdout
    data = results.read(path)
    assert data["exit_code"] == 0 and data["bug_count"] == 0
    assert [f["family"] for f in data["families"]] == ["smooth", "deep"]
    assert set(data["throughput"]) >= {"torch", "mpmath", "target", "exact analysis"}
    assert all(rate["points_per_second"] > 0 for rate in data["throughput"].values())


def test_a_planted_bug_exits_1_with_the_minimal_program(tmp_path):
    path = tmp_path / "result.json"
    engine = QUALITY / "bug_tanh_derivative.py"
    arguments = ["--max-examples", "30", "--references", "torch,mpmath", "--families", "smooth"]
    run = oracle("check", f"{engine}:Value", *arguments, "--json", str(path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BUG 1 (smooth): target bug" in run.stdout
    assert "minimal program (1 steps, 1 deep):" in run.stdout
    assert "return x0.tanh()" in run.stdout
    [bug] = json.loads(path.read_text())["families"][0]["bugs"]
    assert bug["verdict"] == "target bug" and bug["steps"] == 1
    assert bug["program_python"] == "def f(x0):\n    return x0.tanh()"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["check", "refgrad", "--families", "gentle"], "unknown family gentle"),
        (["check", "refgrad", "--references", "numpy"], "unknown reference numpy"),
        (["check", "nothing-like-this"], "neither a built-in name"),
        (["check", "micrograd", "--ops", "tanh"], "does not support tanh"),
        (["check", "refgrad", "--max-examples", "0"], "at least 1"),
        (["check", "refgrad", "--shard", "0/2"], "not I/N"),
        (["check", "refgrad", "--workers", "0"], "at least 1"),
        (["frobnicate"], "invalid choice"),
        (["report", "no/such/result.json"], "cannot read"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(arguments, message):
    run = oracle(*arguments)
    assert run.returncode == 2
    assert message in run.stderr


def test_per_op_units_and_shards(tmp_path):
    path = tmp_path / "result.json"
    ops = ["--families", "smooth", "--ops", "add,sub,mul,tanh,exp", "--per-op"]
    run = oracle("check", "refgrad", *FAST, *ops, "--shard", "2/2", "--json", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    data = results.read(path)
    assert [unit["unit"] for unit in data["families"]] == ["smooth-tanh"]  # of smooth, -tanh, -exp
    assert data["settings"]["shard"] == [2, 2] and data["settings"]["per_op"]


def test_workers_run_the_units_through_pytest_xdist(tmp_path):
    path = tmp_path / "result.json"
    engine = QUALITY / "bug_tanh_derivative.py"
    ops = ["--families", "smooth", "--ops", "add,sub,mul,tanh,log", "--max-examples", "8"]
    arguments = [*ops, "--references", "torch,mpmath", "--workers", "2", "--json", str(path)]
    run = oracle("check", f"{engine}:Value", *arguments)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED ::oracle::oracle[smooth-tanh]" in run.stdout
    assert "1 target bug" in run.stdout or "2 target bugs" in run.stdout
    data = results.read(path)
    units = {unit["unit"]: unit for unit in data["families"]}
    assert list(units) == ["smooth", "smooth-tanh", "smooth-log"]
    assert units["smooth-tanh"]["bugs"] and not units["smooth-log"]["bugs"]


def test_the_console_script_is_installed():
    run = subprocess.run(["oracle", "--help"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "check" in run.stdout
