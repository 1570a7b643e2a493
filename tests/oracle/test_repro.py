"""Repro scripts reproduce their bug standalone, and pass once the engine is fixed."""

import subprocess
import sys
from pathlib import Path

import pytest

from oracle import results, targets
from oracle.repro import write_all
from oracle.runner import Campaign, Settings

ENGINES = Path(__file__).parents[1] / "quality" / "engines"


def run(script: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_a_repro_script_fails_while_the_bug_persists_and_passes_when_fixed(tmp_path):
    spec = f"{ENGINES / 'bug_sub_sign.py'}:Value"
    settings = Settings(families=("smooth",), references=("torch", "mpmath"), max_examples=30)
    data = results.to_json(Campaign(targets.load(spec), settings).run())
    [script] = write_all(data, spec, tmp_path)

    broken = run(script)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "disagree: the bug is still there" in broken.stdout
    assert broken.stdout.startswith("torch:  value")

    fixed_engine = f"{ENGINES / 'correct_tape.py'}:Value"
    script.write_text(script.read_text().replace(repr(spec), repr(fixed_engine)))
    fixed = run(script)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "agree: the bug is fixed" in fixed.stdout


def test_a_crashing_target_fails_its_repro(tmp_path):
    spec = f"{ENGINES / 'bug_grad_none_unused.py'}:Value"
    settings = Settings(families=("smooth",), references=("torch",), max_examples=30)
    data = results.to_json(Campaign(targets.load(spec), settings).run())
    [script] = write_all(data, spec, tmp_path)
    outcome = run(script)
    assert outcome.returncode == 1
    assert "target: raised TypeError" in outcome.stdout


def test_a_protocol_adapters_repro_runs_the_program_through_the_adapter(tmp_path):
    pytest.importorskip("autograd")
    spec = f"{ENGINES / 'protocols' / 'bug_autograd_sin_vjp.py'}:target"
    settings = Settings(
        families=("smooth",), references=("torch",), max_examples=30, exit_first=True
    )
    data = results.to_json(Campaign(targets.load(spec), settings).run())
    [script] = write_all(data, spec, tmp_path)
    broken = run(script)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "disagree: the bug is still there" in broken.stdout

    script.write_text(script.read_text().replace(repr(spec), repr("autograd")))
    fixed = run(script)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
