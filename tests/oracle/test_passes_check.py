"""Translation validation of refgrad's passes (``oracle passes``): clean passes keep every
result, a planted wrong rewrite is caught and shrunk, and the command runs end to end."""

import json
import math
import subprocess
import sys

import pytest

from oracle import cli, passes_check, passes_report, targets
from oracle.passes_check import DIFFERS, IDENTICAL, NAN_BITS, Settings, compare
from oracle.program import Const, Program, Step
from refgrad.ops import OPS
from refgrad.passes import simplify

QUICK = Settings(max_examples=20, campaign_examples=0)


def configuration(name: str) -> passes_check.Configuration:
    [found] = [c for c in passes_check.configurations() if c.name == name]
    return found


def test_every_pass_alone_and_every_pipeline_keep_every_result():
    result = passes_check.check(QUICK)
    assert result.changed_results() == [] and result.exit_code == 0
    names = [c.name for c in result.configurations]
    assert names[:5] == ["simplify", "fold", "cse", "dce", "simplify+fold"]
    assert list(result.tallies) == ["smooth", "edge", "identities"]
    for family, tallies in result.tallies.items():
        for name, tally in tallies.items():
            assert tally.programs == 20, name
            for mode in ("static", "compiled"):
                assert tally.identical[mode] + tally.nan_bits[mode] == 20, (family, name, mode)
        # Not vacuous: each pass has work, in the graph it gets.
        for name in ("simplify", "fold", "pipeline", "default", "cse, no interning"):
            assert tallies[name].changed, (family, name)
        assert tallies["dce, in the modes"].changed
        # The plain builder interns and leaves no dead nodes (the report explains it).
        assert not tallies["cse"].changed and not tallies["dce"].changed


def test_the_rule_is_bit_equality_except_for_nan_bits():
    negative_nan = -math.nan
    assert compare((1.0, 0.0), (1.0, 0.0)) == IDENTICAL
    assert compare((1.0, 0.0), (1.0, -0.0)) == DIFFERS
    assert compare((math.nan,), (negative_nan,)) == NAN_BITS
    assert compare((math.nan,), (math.inf,)) == DIFFERS
    assert compare((1.0,), (1.0000000000000002,)) == DIFFERS
    assert compare("ZeroDivisionError: x", "ZeroDivisionError: x") == IDENTICAL
    assert compare("ZeroDivisionError: x", (1.0,)) == DIFFERS


def _plant(monkeypatch, op: str, pattern: str, rewrite) -> None:
    """A wrong rewrite, tried first, in the simplifier (its pass and the modes' builder)."""
    planted = simplify.Rewrite(op, pattern, rewrite)
    table = simplify._BY_OP
    monkeypatch.setitem(table, OPS[op], (planted, *table[OPS[op]]))


def _add_zero(x, y):
    return x if simplify._is(y, 0.0) else None  # wrong at x = -0.0: -0.0 + 0.0 is +0.0


def _times_zero(x, y):
    return 0.0 if simplify._is(y, 0.0) else None  # wrong at x = inf, nan, and negative x


@pytest.mark.parametrize(
    ("op", "pattern", "rewrite", "minimal"),
    [
        ("add", "x + 0.0 -> x", _add_zero, "def f(x0):\n    return x0 + 0.0"),
        ("mul", "x * 0.0 -> 0.0", _times_zero, "def f(x0):\n    return x0 * 0.0"),
    ],
)
def test_a_wrong_rewrite_is_caught_with_a_minimal_program(
    monkeypatch, op, pattern, rewrite, minimal
):
    _plant(monkeypatch, op, pattern, rewrite)
    chosen = [configuration("simplify"), configuration("default"), configuration("cse")]
    settings = Settings(("identities",), ("static",), 100, campaign_examples=0, ops=(op,))
    result = passes_check.check(settings, chosen)
    assert result.changed_results() == ["simplify", "default"] and result.exit_code == 1
    for name in ("simplify", "default"):
        difference = result.tallies["identities"][name].differences["static"]
        assert difference.shrunk and difference.program.to_python() == minimal
        assert passes_check.compare(difference.baseline, difference.configured) == DIFFERS
    report = passes_report.markdown(passes_check.to_json(result))
    assert "### simplify, static mode (identities)" in report and minimal in report


def _one_times(x, y):
    return 1.0 if simplify._is(x, 1.0) else None  # wrong wherever y != 1; every backward has it


def test_the_command_exits_1_and_reports_a_changed_result(monkeypatch, tmp_path, capsys):
    _plant(monkeypatch, "mul", "1.0 * x -> 1.0", _one_times)
    report = tmp_path / "passes.md"
    arguments = ["passes", "--max-examples", "10", "--families", "identities"]
    arguments += ["--modes", "static", "--campaign-examples", "0", "--report", str(report)]
    assert cli.main(arguments) == 1
    output = capsys.readouterr().out
    assert "configurations changed results: simplify, simplify+fold, pipeline" in output
    assert "### simplify, static mode (identities)" in report.read_text()


def test_the_command_runs_end_to_end(tmp_path):
    path, report = tmp_path / "passes.json", tmp_path / "passes.md"
    arguments = ["--max-examples", "5", "--campaign-examples", "1", "--modes", "static"]
    run = subprocess.run(
        [sys.executable, "-m", "oracle", "passes", *arguments, "--json", path, "--report", report],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no configuration changed a result" in run.stdout
    assert "cse, no interning" in run.stdout
    data = json.loads(path.read_text())
    assert data["format"] == "refgrad-oracle-passes" and data["exit_code"] == 0
    assert passes_report.markdown(data).splitlines()[2:] == report.read_text().splitlines()[2:]
    text = report.read_text()
    assert "Regenerate: `oracle passes --report reports/oracle/passes.md`" in text
    assert "`refgrad-static[passes=simplify,fold,cse,dce]`" in text


def test_refgrad_modes_as_targets_name_their_passes():
    target = targets.load("refgrad-compiled[passes=simplify+fold,dce]")
    assert target.name == "refgrad-compiled[passes=simplify+fold,dce]"
    assert targets.load("refgrad-static[passes=none]").passes == ()
    assert targets.load("refgrad-static").passes is None
    program = Program(1, (Step("add", (0, Const(0.0))),))
    [outcome] = targets.load("refgrad-static[passes=none]").evaluate(program, [(-0.0,)])
    assert math.copysign(1.0, outcome.value) == 1.0  # -0.0 + 0.0 is +0.0
    for spec, message in [
        ("refgrad-eager[passes=cse]", "builds none"),
        ("refgrad-static[passes=cxe]", "unknown pass 'cxe'"),
        ("refgrad-static[pass=cse]", "cannot parse"),
    ]:
        with pytest.raises(targets.TargetLoadError, match=message):
            targets.load(spec)
