"""``benchmarks.suite.run_suite`` around its pytest process: the last run's JSON is left as it
is until the new run has written its own (deleting a committed file first made every report
say "with uncommitted changes"), and a run that writes none renders nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from benchmarks import suite

FIXTURE = Path(__file__).parent / "data" / "bench_suite_small.json"


def _fake_pytest(monkeypatch, write: bool):
    seen = {}

    def run(command, cwd, check):
        (option,) = [part for part in command if part.startswith("--benchmark-json=")]
        path = Path(option.split("=", 1)[1])
        seen["last run untouched"] = (path.parent / "benchmark.json").read_text() == "last run"
        if write:
            shutil.copy(FIXTURE, path)
        return subprocess.CompletedProcess(command, 0 if write else 1)

    monkeypatch.setattr(suite.subprocess, "run", run)
    monkeypatch.setattr(suite, "write_report", lambda json_path, out: [])
    monkeypatch.setattr(suite, "_print_targets", lambda json_path: None)
    return seen


def test_the_last_run_stays_until_the_new_one_replaces_it(tmp_path, monkeypatch):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "benchmark.json").write_text("last run")
    seen = _fake_pytest(monkeypatch, write=True)
    assert suite.run_suite("latest", reports=tmp_path) == 0
    assert seen["last run untouched"]
    written = (tmp_path / "latest" / "benchmark.json").read_text()
    assert '"wall seconds"' in written and written != "last run"
    assert sorted(path.name for path in (tmp_path / "latest").iterdir()) == ["benchmark.json"]


def test_a_run_that_writes_no_json_fails_and_renders_nothing(tmp_path, monkeypatch, capsys):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "benchmark.json").write_text("last run")
    _fake_pytest(monkeypatch, write=False)
    assert suite.run_suite("latest", reports=tmp_path) == 1
    assert "wrote no JSON" in capsys.readouterr().err
    assert (tmp_path / "latest" / "benchmark.json").read_text() == "last run"
