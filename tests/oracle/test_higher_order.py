"""Forward mode and second order (oracle/higher_order.py): the ``jvp`` and ``hessian`` units.

refgrad passes them in every mode; planted engines (``tests/quality/engines/higher_order/``)
are caught on exactly the unit their bug shows in, with a one- or two-step program and a
simple direction; forward vs reverse alone catches a wrong forward-mode rule; targets that
cannot answer are reported not applicable with a reason; the default campaign is unchanged.
Campaigns here run few examples: these bugs show in the first programs drawn.
"""

import io
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from oracle import console as show
from oracle import higher_order, html_report, report, repro, results, targets
from oracle.cli import main
from oracle.compare import Verdict
from oracle.program import Const, Program, Step
from oracle.references import load_higher
from oracle.runner import Campaign, Settings, Unit
from tests.quality.catalog import adapter_module

pytest_plugins = ["pytester"]

PLANTED = sorted((Path(__file__).parents[1] / "quality" / "engines" / "higher_order").glob("*.py"))
LIBRARY = {"bug_autograd_sin_jvp": "autograd", "bug_torch_tanh_detached": "torch"}
BOTH = dict(order=2, modes=("fwd", "rev"))
REFERENCES = ("torch", "jax", "mpmath")


def run_unit(target, family: str, max_examples: int = 10, references=REFERENCES):
    settings = Settings(max_examples=max_examples, references=references, **BOTH)
    return Campaign(target, settings).run_unit(Unit(family))


# --- refgrad and the published engines pass ---------------------------------------------------


def test_the_command_line_checks_refgrad_in_both_modes_up_to_order_two(tmp_path, capsys):
    path = tmp_path / "refgrad.json"
    arguments = ["check", "refgrad", "--order", "2", "--modes", "fwd,rev", "--families", "smooth"]
    assert main([*arguments, "--max-examples", "6", "--json", str(path)]) == 0
    assert "no target bug found" in capsys.readouterr().out
    data = json.loads(path.read_text())
    assert [entry["unit"] for entry in data["families"]] == ["smooth", "jvp", "hessian"]
    for entry in data["families"]:
        assert entry["not_applicable"] is None
        assert entry["verdicts"] == {"agree": entry["points"]} or entry["family"] == "smooth"
    assert (data["settings"]["order"], data["settings"]["modes"]) == (2, ["fwd", "rev"])
    markdown = report.markdown(data)
    assert "## Forward mode and second order" in markdown
    assert "- jvp: 6 programs, 24 points (agree 24)" in markdown
    assert "--order 2 --modes fwd,rev" in report.regenerate_command(data)


@pytest.mark.parametrize("spec", ["refgrad-static", "refgrad-compiled", "autograd", "jax"])
def test_correct_engines_pass_both_units(spec):
    if spec == "autograd":
        pytest.importorskip("autograd")
    target = targets.load(spec)
    for family in higher_order.FAMILIES:
        result = run_unit(target, family, max_examples=6)
        assert result.bugs == [] and result.not_applicable is None, (spec, family)
        assert result.counts[Verdict.AGREE] == result.points


# --- planted bugs -----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=PLANTED, ids=lambda path: path.stem)
def planted(request):
    """The adapter file's module, loaded as ``oracle check FILE:target`` loads it."""
    return adapter_module(request.param, LIBRARY[request.param.stem])


def test_every_planted_engine_is_listed():
    assert {path.stem for path in PLANTED} == set(LIBRARY)


def test_a_planted_bug_is_caught_on_its_unit_with_a_minimal_program(planted):
    failing = set()
    for family in higher_order.FAMILIES:
        result = run_unit(planted.target, family, max_examples=30)
        if result.not_applicable is not None:
            continue
        if result.bugs:
            [bug] = result.bugs
            assert bug.verdict is Verdict.TARGET_BUG, bug.judgement.explanation
            assert 1 <= len(bug.case.program) <= 2, bug.case.program
            if family == higher_order.JVP:
                assert bug.case.direction == (1.0,) * bug.case.program.n_inputs
            failing.add(family)
    assert failing == set(planted.FAILS), planted.BUG


def test_planted_engines_are_right_at_first_order(planted):
    settings = Settings(families=("smooth",), max_examples=20, references=("torch", "mpmath"))
    assert Campaign(planted.target, settings).run().exit_code == 0


def test_the_witness_shows_the_bug_to_the_ground_truth(planted):
    program, point = planted.WITNESS, planted.WITNESS_INPUTS
    truth = load_higher("mpmath")
    if "jvp" in planted.FAILS:
        [got] = planted.target.higher_order.jvp(program, [point], (1.0,))
        [want] = truth.jvp(program, [point], (1.0,))
        assert got.value == pytest.approx(want.value) and got.jvp != pytest.approx(want.jvp)
    else:
        [got] = planted.target.higher_order.hessian(program, [point])
        [want] = truth.hessian(program, [point])
        assert got.rows[0][0] != pytest.approx(want.rows[0][0], rel=1e-3)


def test_forward_against_reverse_alone_catches_a_wrong_tangent_rule():
    pytest.importorskip("autograd")
    [path] = [path for path in PLANTED if path.stem == "bug_autograd_sin_jvp"]
    result = run_unit(targets.load(f"{path}:target"), "jvp", max_examples=30, references=())
    [bug] = result.bugs
    assert bug.judgement.quantity == "∇f · v (rev)"
    assert bug.judgement.explanation.startswith("forward and reverse mode disagree: J v = ")
    assert len(bug.case.program) == 1 and bug.case.program.ops == ("sin",)


# --- targets that cannot answer ---------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, family, reason",
    [
        ("micrograd", "jvp", "the value protocol has one backward pass"),
        ("torch-tensor", "hessian", "the tensor protocol drives one .backward()"),
        ("refgrad-batched", "jvp", "refgrad.jvp runs in modes eager, static, compiled"),
        ("refgrad-batched", "hessian", "refgrad.hessian runs in modes eager, static, compiled"),
        ("refgrad-static[passes=cse]", "hessian", "a [passes=...] target checks value_and_grad"),
    ],
)
def test_a_target_that_cannot_answer_is_not_applicable_with_a_reason(spec, family, reason):
    result = run_unit(targets.load(spec), family)
    assert reason in result.not_applicable and result.examples == 0
    assert result.notes == [f"not applicable: {result.not_applicable}"]


def test_a_function_protocol_adapter_without_transforms_is_not_applicable():
    target = targets.load("refgrad")
    del target.higher_order  # a target with no differentiator at all
    assert "the value protocol" in higher_order.not_applicable(target, "hessian")
    from oracle.targets.function_protocol import FunctionProtocolTarget
    from oracle.targets.published import autograd_target

    pytest.importorskip("autograd")
    adapter = autograd_target()
    plain = FunctionProtocolTarget("plain", adapter.calls, adapter.value_and_grad)
    reason = higher_order.not_applicable(plain, "jvp")
    assert reason == "the adapter gives no jvp transform (FunctionProtocolTarget(jvp=...))"


# --- settings, units and the command line ------------------------------------------------------


def test_the_default_campaign_has_no_higher_order_unit():
    ops = ("add", "sub", "mul", "log")
    assert [unit.name for unit in Settings().units(ops)] == ["smooth", "deep"]
    assert [unit.name for unit in Settings(per_op=True).units(ops)] == [
        "smooth",
        "smooth-log",
        "deep",
    ]


def test_order_and_modes_choose_the_units():
    ops = ("add", "sub", "mul", "log")
    names = [unit.name for unit in Settings(per_op=True, **BOTH).units(ops)]
    assert names == ["smooth", "smooth-log", "deep", "jvp", "jvp-log", "hessian", "hessian-log"]
    forward_only = Settings(modes=("fwd",), families=("smooth", "edge"))
    assert [unit.name for unit in forward_only.units(ops)] == ["jvp"]
    assert [unit.name for unit in Settings(order=2).units(ops)] == ["smooth", "deep", "hessian"]
    settings = Settings(**BOTH)
    assert settings.examples(Unit("jvp")) == higher_order.EXAMPLES["jvp"]
    assert settings.examples(Unit("hessian", "log")) == higher_order.PER_OP_EXAMPLES["hessian"]


@pytest.mark.parametrize(
    "options, message",
    [({"order": 3}, "order 3 is not one of 1, 2"), ({"modes": ("sideways",)}, "unknown modes")],
)
def test_bad_orders_and_modes_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        Settings(**options)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--order", "3"], "argument --order: invalid choice: 3 (choose from 1, 2)"),
        (["--modes", "fwd,sideways"], "unknown mode sideways; choose from rev, fwd"),
    ],
)
def test_the_command_line_rejects_bad_orders_and_modes(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "refgrad", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_plugin_takes_order_and_modes(pytester):
    result = pytester.runpytest(
        "--oracle-target=refgrad",
        "--oracle-order=2",
        "--oracle-modes=fwd,rev",
        "--oracle-families=smooth",
        "--oracle-references=torch,mpmath",
        "--oracle-max-examples=3",
        "--oracle-split=family",
        "--oracle-database=none",
        "-p",
        "no:cacheprovider",
        "-v",
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*oracle[[]jvp[]] PASSED*", "*oracle[[]hessian[]] PASSED*"])


# --- references and the ground truth -----------------------------------------------------------

# f = x0 * x1 + sin(x0): J v = (x1 + cos x0) v0 + x0 v1; H = [[-sin x0, 1], [1, 0]]
PRODUCT_PLUS_SINE = Program(2, (Step("mul", (0, 1)), Step("sin", (0,)), Step("add", (2, 3))))


@pytest.mark.parametrize("name", REFERENCES)
def test_each_reference_knows_a_jvp_and_a_hessian_by_hand(name):
    reference = load_higher(name)
    x0, x1, v = 0.8, -1.5, (2.0, 0.5)
    [jvp] = reference.jvp(PRODUCT_PLUS_SINE, [(x0, x1)], v)
    assert jvp.jvp == pytest.approx((x1 + math.cos(x0)) * v[0] + x0 * v[1], rel=1e-14)
    hessians = reference.hessian(PRODUCT_PLUS_SINE, [(x0, x1), (x1, x0)])  # two points at once
    for hessian, first in zip(hessians, (x0, x1), strict=True):
        assert hessian.rows[0][0] == pytest.approx(-math.sin(first), rel=1e-14)
        assert hessian.rows[0][1] == hessian.rows[1][0] == pytest.approx(1.0, rel=1e-14)
        assert hessian.rows[1][1] == pytest.approx(0.0, abs=1e-14)


def test_the_ground_truth_reports_its_error_and_declines_kinks():
    truth = load_higher("mpmath")
    [hessian] = truth.hessian(PRODUCT_PLUS_SINE, [(0.8, -1.5)])
    assert all(0.0 <= error < 1e-20 for row in hessian.errors for error in row)
    on_kink = Program(1, (Step("relu", (0,)),))
    [jvp] = truth.jvp(on_kink, [(0.0,)], (1.0,))
    assert jvp.error == "no ground truth: an intermediate sits exactly on a kink"


def test_a_cancelling_entry_is_judged_against_the_size_of_its_terms():
    # sqrt(x) ** 2 is x: its second derivative is 0, computed from terms of size 1/x.
    program = Program(1, (Step("sqrt", (0,)), Step("pow", (1, Const(2.0)))))
    [[size]] = higher_order.absolute_hessian(program, (4.0,))
    assert size > 0.01
    [truth] = load_higher("mpmath").hessian(program, [(4.0,)])
    assert truth.rows[0][0] == pytest.approx(0.0, abs=1e-25)


# --- what a finding looks like -----------------------------------------------------------------


def test_a_finding_shows_the_program_the_direction_and_every_quantity(tmp_path):
    pytest.importorskip("autograd")
    [path] = [path for path in PLANTED if path.stem == "bug_autograd_sin_jvp"]
    target = targets.load(f"{path}:target")
    settings = Settings(max_examples=20, references=("torch", "mpmath"), **BOTH)
    campaign = Campaign(target, settings)
    units = [campaign.run_unit(Unit("jvp"))]
    result = results.CampaignResult(target.name, campaign.ops, {}, settings, REFERENCES, units, 1.0)
    data = json.loads(json.dumps(results.to_json(result)))  # strict JSON, as written
    [bug] = data["families"][0]["bugs"]
    assert (bug["family"], bug["direction"], bug["program_python"]) == (
        "jvp",
        [1.0],
        "def f(x0):\n    return x0.sin()",
    )
    assert [row["quantity"] for row in bug["quantities"]] == ["value", "J v", "∇f · v (rev)"]
    markdown = report.markdown(data)
    assert "## Bug 1 (jvp): target bug" in markdown
    assert "Direction v = (1.0)." in markdown
    assert "| J v | " in markdown and "| ∇f · v (rev) | " in markdown
    page = html_report.render(data)
    assert "J v: target" in page and "<code>v = (1.0)</code>" in page
    # The outcome table has a row per quantity, the reverse-mode projection among them.
    assert '<th scope="row">∇f · v (rev)</th>' in page
    assert "Bug 1 (jvp): target bug on J v" in report.summary(data)
    assert repro.write_all(data, target.name, tmp_path) == []  # a first-order script shows nothing
    buffer = io.StringIO()
    show.findings(Console(file=buffer, width=150, no_color=True), result)
    text = buffer.getvalue()
    assert "BUG 1 (jvp): target bug" in text and "along v = (1.0)" in text
