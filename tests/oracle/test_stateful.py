"""The stateful family (oracle/stateful.py): several backward passes, judged by torch's rules.

Published micrograd keeps stale interior gradients (its second backward pass propagates the
first one's again), refgrad does not; planted engines are caught on exactly the properties
their bug shows in; targets with no ``.grad`` between calls are reported not applicable.
Campaigns here run few examples per property: these bugs show in the first programs drawn.
"""

import io
import json
import runpy
import sys
from pathlib import Path

import pytest
from rich.console import Console

from oracle import console as show
from oracle import html_report, report, repro, results, stateful, targets
from oracle.cli import main
from oracle.compare import Verdict
from oracle.program import Const, Program, Step
from oracle.runner import Campaign, Settings, Timing, Unit
from oracle.strategies import STATEFUL, Case

ENGINES = Path(__file__).parents[1] / "quality" / "engines"
PLANTED = sorted((ENGINES / "stateful").glob("bug_*.py"))
# d = (a * b) ** 2, the example of refgrad's docstring
SQUARED_PRODUCT = Program(2, (Step("mul", (0, 1)), Step("pow", (2, Const(2.0)))))


def run_property(target, name: str, max_examples: int = 10):
    settings = Settings(families=(STATEFUL,), max_examples=max_examples, references=("torch",))
    return Campaign(target, settings).run_unit(Unit(STATEFUL, property_name=name))


def scenario(target, name: str, program: Program, point):
    check = stateful.PropertyCheck(name, target, time_limit=10.0, timing=Timing())
    return check.evaluate(Case(STATEFUL, program, (point,)))


def readings(result) -> dict:
    """(after, quantity) -> (target, torch): the table of a stateful case."""
    return {(r["after"], r["quantity"]): (r["target"], r["torch"]) for r in result.rows()}


# --- published micrograd and refgrad -----------------------------------------------------------


def test_micrograd_propagates_stale_gradients_on_a_second_backward():
    result = scenario(targets.load("micrograd"), "backward twice", SQUARED_PRODUCT, (2.0, 3.0))
    assert result.verdict is Verdict.TARGET_BUG
    table = readings(result)
    # b.grad: 24 after one pass; torch accumulates to 48, micrograd reaches 72.
    assert table["1st y.backward()", "x1.grad"] == (24.0, 24.0)
    assert table["2nd y.backward()", "x1.grad"] == (72.0, 48.0)
    assert table["2nd y.backward()", "x0.grad"] == (108.0, 72.0)
    # The interior value a*b: 12 then 24 on both, accumulated; it is what is propagated again.
    assert table["2nd y.backward()", "v2.grad"] == (24.0, 24.0)
    assert "2 x dy/dx0" in result.judgement.explanation


def test_a_stale_interior_gradient_is_neither_the_sum_nor_the_last_pass():
    steps = [Step("mul", (index, Const(factor))) for index, factor in enumerate((2.0, 3.0, 5.0))]
    chain = Program(1, tuple(steps))  # ((2 x0) 3) 5
    result = scenario(targets.load("micrograd"), "backward twice", chain, (1.0,))
    # v1 = 2 x0 has adjoint 15: torch holds 30 after two passes, micrograd 45.
    assert readings(result)["2nd y.backward()", "v1.grad"] == (45.0, 30.0)
    comparisons, _ = stateful._comparisons(result.target, result.torch, result.expected)
    stale = [c.key for c in comparisons if c.mismatch() is not None]
    assert stale == [("2nd y.backward()", "x0.grad"), ("2nd y.backward()", "v1.grad")]


def test_refgrad_passes_every_property():
    target = targets.load("refgrad")
    for name in stateful.PROPERTIES:
        result = run_property(target, name, max_examples=2 if name == "wide fan-out" else 15)
        assert result.bugs == [] and result.not_applicable is None, name
        assert result.counts[Verdict.AGREE] == result.examples


def check(*arguments: str) -> int:
    """``oracle check ... --families stateful`` in this process (torch as the only reference
    the command loads: the stateful family uses no other)."""
    return main(["check", *arguments, "--families", STATEFUL, "--references", "torch"])


def test_the_command_line_exits_1_on_micrograd_and_0_on_refgrad(tmp_path, capsys):
    assert check("micrograd", "--max-examples", "3", "--json", str(tmp_path / "m.json")) == 1
    assert "BUG 1 (stateful, backward twice): target bug" in capsys.readouterr().out
    data = json.loads((tmp_path / "m.json").read_text())
    bugs = [bug for entry in data["families"] for bug in entry["bugs"]]
    assert [bug["property"] for bug in bugs] == ["backward twice", "zero_grad", "shared subgraph"]
    for bug in bugs:  # each shrunk to a program of a step or two
        assert bug["verdict"] == "target bug" and bug["steps"] <= 2, bug["program_python"]
        assert bug["explanation"].startswith(f"{bug['property']}: after ")
    # micrograd's graphs do not leak into each other, and its fan-out sums right
    assert [entry["unit"] for entry in data["families"] if not entry["bugs"]] == [
        "stateful-second-graph",
        "stateful-wide-fan-out",
    ]
    assert check("refgrad", "--max-examples", "2") == 0


# --- planted bugs ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PLANTED, ids=lambda path: path.stem)
def test_a_planted_bug_is_caught_on_exactly_its_properties(path):
    target = targets.load(f"{path}:Value")
    planted = sys.modules[target.cls.__module__]  # the engine's file, as the loader imported it
    failing = set()
    for name in stateful.PROPERTIES:
        result = run_property(target, name, max_examples=1 if name == "wide fan-out" else 10)
        if result.bugs:
            [bug] = result.bugs
            assert bug.verdict is Verdict.TARGET_BUG, bug.judgement.explanation
            assert len(bug.case.program) <= 2, bug.case.program
            failing.add(name)
    assert failing == set(planted.FAILS), planted.BUG


def test_planted_engines_are_right_on_a_single_backward_pass():
    for path in PLANTED:
        result = Campaign(
            targets.load(f"{path}:Value"),
            Settings(families=("smooth",), max_examples=15, references=("torch", "mpmath")),
        ).run()
        assert result.exit_code == 0, path.stem


def test_an_engine_that_keeps_no_interior_gradient_is_checked_on_its_leaves():
    target = targets.load(f"{ENGINES / 'correct_forward_mode.py'}:Value")
    result = run_property(target, "backward twice", max_examples=10)
    assert result.bugs == []
    [note] = result.notes
    assert note.startswith("interior .grad not compared") and "leaves only" in note


# --- targets that cannot run a property --------------------------------------------------------


def test_a_function_transform_is_not_applicable_with_a_reason():
    settings = Settings(families=(STATEFUL,), references=("torch",))
    result = Campaign(targets.load("refgrad-static"), settings).run()
    assert result.exit_code == 0
    assert [unit.unit.name for unit in result.units] == [
        "stateful-backward-twice",
        "stateful-zero_grad",
        "stateful-shared-subgraph",
        "stateful-second-graph",
        "stateful-wide-fan-out",
    ]
    for unit in result.units:
        assert "value_and_grad" in unit.not_applicable and unit.examples == 0
        assert unit.notes == [f"not applicable: {unit.not_applicable}"]


def test_a_driver_can_declare_a_property_it_cannot_run():
    target = targets.load("torch-tensor")
    reason = "this adapter cannot reset a gradient"
    target.stateful.not_applicable = {"zero_grad": reason}
    assert run_property(target, "zero_grad").not_applicable == reason
    assert run_property(target, "backward twice", max_examples=5).bugs == []


def test_a_target_without_a_driver_is_not_applicable():
    class Stateless:  # the Target protocol's four members, nothing more
        def __init__(self):
            self.name = "stateless"
            self.supported_ops = ("add", "sub", "mul")
            self.unsupported_ops = {}

        def evaluate(self, program, points):
            raise AssertionError("a not-applicable property must not run")

    result = run_property(Stateless(), "second graph")
    assert "no `stateful` driver" in result.not_applicable


# --- reports -----------------------------------------------------------------------------------


def test_reports_name_the_property_and_show_every_step():
    target = targets.load("micrograd")
    settings = Settings(families=(STATEFUL,), max_examples=3, references=("torch",))
    campaign = Campaign(target, settings)
    units = [campaign.run_unit(Unit(STATEFUL, property_name="zero_grad"))]
    result = results.CampaignResult(target.name, campaign.ops, {}, settings, ("torch",), units, 1.0)
    data = json.loads(json.dumps(results.to_json(result)))  # strict JSON, as written
    [entry] = data["families"]
    assert (entry["unit"], entry["property"], entry["not_applicable"]) == (
        "stateful-zero_grad",
        "zero_grad",
        None,
    )
    [bug] = entry["bugs"]
    assert bug["property"] == "zero_grad" and bug["family"] == STATEFUL
    steps = [call["after"] for call in bug["calls"]]
    assert steps == ["y.backward()", "every leaf zeroed", "y.backward() again"]
    markdown = report.markdown(data)
    assert "## Bug 1 (stateful, zero_grad): target bug" in markdown
    assert "| every leaf zeroed | x0.grad | 0.0 | 0.0 |" in markdown
    assert "after y.backward() again: x0.grad" in html_report.render(data)
    buffer = io.StringIO()
    show.findings(Console(file=buffer, width=150, no_color=True), result)
    assert "BUG 1 (stateful, zero_grad)" in buffer.getvalue()
    assert "scenario: y = f(x); y.backward(); leaf.grad = 0.0" in buffer.getvalue()


# --- repro scripts ---------------------------------------------------------------------------


def run_script(path: Path, capsys) -> tuple[int, str]:
    """Run a repro script as ``python path`` would (in this process: torch is loaded already);
    its exit status and what it printed."""
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(path), run_name="__main__")
    return exit_.value.code, capsys.readouterr().out


def test_a_stateful_finding_gets_a_repro_that_replays_its_scenario(tmp_path, capsys):
    committed = Path(__file__).parents[2] / "reports" / "oracle" / "micrograd-stateful.json"
    data = json.loads(committed.read_text())
    scripts = repro.write_all(data, "micrograd", tmp_path)
    assert [path.name for path in scripts] == ["repro_1.py", "repro_2.py", "repro_3.py"]
    first = scripts[0].read_text()
    assert 'property "backward twice"' in first and "y = f(x); y.backward(); y.backward()" in first
    status, printed = run_script(scripts[0], capsys)
    assert status == 1
    assert "after 2nd y.backward(): x0.grad: target -6.0, torch -4.0" in printed
    # The same scenario on an engine without the bug: the script says it is fixed.
    scripts[0].write_text(first.replace("TARGET = 'micrograd'", "TARGET = 'refgrad'"))
    status, printed = run_script(scripts[0], capsys)
    assert status == 0 and printed.endswith("fixed: every .grad follows torch's semantics\n")


def test_replaying_on_a_target_that_cannot_run_the_property_says_why():
    with pytest.raises(
        ValueError, match=r"cannot run the zero_grad property: .*function transform"
    ):
        stateful.replay("refgrad-static", "zero_grad", SQUARED_PRODUCT, (2.0, 3.0))
