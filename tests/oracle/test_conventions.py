"""Convention profiles at kinks and special points (oracle.conventions).

The declared answers of every known engine are checked against the installed libraries, so a
new torch or jax that changes a convention fails here instead of silently misjudging. Planted
engines show the three kinds of answer at a kink: a reference's convention, a subgradient no
reference takes (not a bug), and a value outside the one-sided interval (a bug).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oracle import conventions, html_report, report, results, targets
from oracle.compare import Verdict, judge
from oracle.conventions import SPECIAL_POINTS
from oracle.exact import analyze
from oracle.outcome import Outcome
from oracle.program import Program, Step
from oracle.references.ground_truth import GroundTruth
from oracle.runner import Campaign, Settings, Unit

PLANTED = Path(__file__).parents[1] / "quality" / "engines" / "conventions"
POINT_IDS = [point.label for point in SPECIAL_POINTS]


def answer_of(engine, point):
    """What ``engine`` (a target or a reference) answers at ``point``."""
    if point.op not in getattr(engine, "supported_ops", (point.op,)):
        return conventions.UNSUPPORTED
    return conventions.observed_answer(point, conventions.evaluate_safely(engine)(point.case())[0])


def assert_declared(engine_name, engine, point):
    observed = answer_of(engine, point)
    declared = point.answers[engine_name]
    assert conventions.same_answer(observed, declared, point.signed), (
        f"{engine_name} now answers {observed!r} at {point.label} where the table declares "
        f"{declared!r}: update oracle/conventions.py (and the reports) if the library changed"
    )


# --- the declared table matches the installed libraries ----------------------------------------


@pytest.fixture(scope="module")
def torch_reference():
    pytest.importorskip("torch")
    from oracle.references import load

    return load("torch")


@pytest.fixture(scope="module")
def jax_reference():
    pytest.importorskip("jax")
    from oracle.references import load

    return load("jax")


@pytest.mark.parametrize("point", SPECIAL_POINTS, ids=POINT_IDS)
def test_torch_answers_as_declared(torch_reference, point):
    assert_declared("torch", torch_reference, point)


@pytest.mark.parametrize("point", SPECIAL_POINTS, ids=POINT_IDS)
def test_jax_answers_as_declared(jax_reference, point):
    assert_declared("jax", jax_reference, point)


@pytest.mark.parametrize(
    "spec", ["refgrad", "refgrad-eager", "refgrad-static", "refgrad-compiled", "refgrad-batched"]
)
def test_every_refgrad_mode_answers_as_declared(spec):
    target = targets.load(spec)
    for point in SPECIAL_POINTS:
        assert_declared("refgrad", target, point)


@pytest.mark.parametrize("name", ["micrograd", "autograd", "mygrad"])
def test_published_engines_answer_as_declared(name):
    pytest.importorskip(name)
    target = targets.load(name)
    for point in SPECIAL_POINTS:
        assert_declared(name, target, point)


def test_refgrad_takes_torchs_convention_wherever_torch_answers():
    for point in SPECIAL_POINTS:
        assert conventions.same_answer(point.answers["refgrad"], point.answers["torch"], True)


def test_every_point_declares_every_engine_once():
    assert len(set(POINT_IDS)) == len(POINT_IDS)
    for point in SPECIAL_POINTS:
        assert set(point.answers) == set(conventions.ENGINES)
        assert len(point.program.steps) == 1 and point.program.n_inputs == 1


def test_a_declaration_missing_an_engine_is_refused():
    with pytest.raises(ValueError, match="declare exactly"):
        conventions._point("relu'(1)", Program(1, (Step("relu", (0,)),)), 1.0, "d/dx0", "", torch=1)


# --- intervals: the ground truth's one-sided derivatives ---------------------------------------


def by_label(label):
    return next(point for point in SPECIAL_POINTS if point.label == label)


def test_intervals_at_two_sided_kinks_are_the_ground_truths():
    for point in SPECIAL_POINTS:
        truth = GroundTruth().evaluate_point(point.program, (point.x,))
        if truth.ok and truth.one_sided and point.quantity == "d/dx0":
            bounds = conventions.interval(point)
            assert (bounds.low, bounds.high) == tuple(sorted(truth.one_sided[0]))


def test_a_domain_edge_has_the_derivative_from_the_side_its_zero_names():
    right = conventions.interval(by_label("sqrt'(0)"))
    assert right.side == "from the right" and right.low == right.high == float("inf")
    assert conventions.interval(by_label("(x ** 1.5)' at 0")).contains(0.0)
    left = conventions.interval(by_label("sqrt'(-0.0)"))  # -0.0: sqrt's left side is undefined
    assert not left.known and "left side" in left.reason
    assert not conventions.interval(by_label("log'(0)")).known  # log(0) itself is undefined


def test_the_declared_table_shows_every_engine():
    table = conventions.declared_markdown()
    assert table.splitlines()[0].count("|") == len(conventions.ENGINES) + 3
    assert "| abs'(0) | 0.0 | 1.0 |" in table


# --- judging a row -----------------------------------------------------------------------------


def test_torch_and_jax_each_follow_their_own_convention_at_abs_zero():
    point = by_label("abs'(0)")
    assert conventions.judge_row(point, 0.0) == (conventions.FOLLOWS_TORCH, False)
    assert conventions.judge_row(point, 1.0) == (conventions.FOLLOWS_JAX, False)
    assert conventions.judge_row(point, 0.5) == (conventions.NO_KNOWN_CONVENTION, False)
    assert conventions.judge_row(point, -1.5) == (conventions.OUTSIDE, True)


def test_a_value_outside_the_interval_is_a_bug_even_if_a_reference_gives_it():
    # jax's d/dx x**0 at 0 is nan; x**0 is constant, both one-sided derivatives are 0.
    assert conventions.judge_row(by_label("(x ** 0)' at 0"), float("nan")) == (
        conventions.OUTSIDE,
        True,
    )


def test_without_an_interval_the_references_judge():
    point = by_label("log'(0)")
    assert conventions.judge_row(point, float("inf")) == (conventions.FOLLOWS_BOTH, False)
    assert conventions.judge_row(point, 0.0) == (conventions.DIFFERS, True)
    raised = conventions.RAISES + "ZeroDivisionError"
    assert conventions.judge_row(point, raised) == (conventions.RAISES_BUG, True)


def test_the_sign_of_a_zero_names_the_convention_only_where_it_matters():
    value = by_label("relu(-0.0)")
    assert conventions.judge_row(value, -0.0)[0] == conventions.FOLLOWS_TORCH
    assert conventions.judge_row(value, 0.0)[0] == conventions.FOLLOWS_JAX
    assert conventions.judge_row(by_label("relu'(0)"), -0.0)[0] == conventions.FOLLOWS_BOTH


# --- kinks in drawn programs -------------------------------------------------------------------


def abs_of_difference():
    return Program(2, (Step("sub", (0, 1)), Step("abs", (2,))))


def test_a_case_on_a_kink_names_it_from_the_table():
    program = abs_of_difference()
    on_kink = analyze(program, (1.5, 1.5)).values
    assert conventions.kink_labels(program, on_kink) == ("abs'(0) (torch 0.0, jax 1.0)",)
    assert conventions.kink_labels(program, analyze(program, (1.5, 1.0)).values) == ()
    assert conventions.kink_labels(program, None) == ()


def judged_at_the_abs_kink(gradient):
    program, point = abs_of_difference(), (1.5, 1.5)
    engines = {
        "mpmath": GroundTruth().evaluate_point(program, point),
        "torch": Outcome(0.0, (0.0, 0.0)),
        "jax": Outcome(0.0, (1.0, -1.0)),
    }
    analysis = analyze(program, point)
    kinks = conventions.kink_labels(program, analysis.values)
    return judge(Outcome(0.0, gradient), engines, analysis, kinks)


def test_inside_the_interval_the_verdict_names_the_convention_followed():
    judgement = judged_at_the_abs_kink((1.0, -1.0))
    assert judgement.verdict is Verdict.AGREE
    assert judgement.conventions == ("abs'(0) (torch 0.0, jax 1.0): follows jax",) * 2
    assert any("torch gives 0.0" in note for note in judgement.notes)


def test_a_subgradient_no_reference_takes_is_reported_not_failed():
    judgement = judged_at_the_abs_kink((0.5, -0.5))
    assert judgement.verdict is Verdict.AGREE
    assert all(
        label.endswith("inside the interval, no known convention")
        for label in judgement.conventions
    )


def test_outside_the_interval_stays_a_bug_though_the_case_sits_on_a_kink():
    judgement = judged_at_the_abs_kink((2.0, -2.0))
    assert judgement.verdict is Verdict.TARGET_BUG
    assert "abs'(0)" in judgement.explanation


# --- campaigns ---------------------------------------------------------------------------------


def edge_unit(spec, ops, strict=False, examples=12, references=("torch", "mpmath")):
    settings = Settings(
        families=("edge",),
        max_examples=examples,
        references=references,
        ops=ops,
        strict=strict,
        shrink_seconds=20,
    )
    return Campaign(targets.load(spec), settings).run_unit(Unit("edge"))


def row(unit, label):
    return next(r for r in unit.convention_table if r.point.label == label)


def test_a_planted_half_slope_at_abs_zero_is_reported_but_not_a_bug():
    unit = edge_unit(
        f"{PLANTED / 'abs_half_at_zero.py'}:Value", ("add", "sub", "mul", "abs"), strict=True
    )
    abs_row = row(unit, "abs'(0)")
    assert (abs_row.answer, abs_row.verdict, abs_row.bug) == (
        0.5,
        conventions.NO_KNOWN_CONVENTION,
        False,
    )
    assert unit.bugs == []


def test_a_planted_relu_slope_of_two_at_zero_is_a_bug_with_a_minimal_program():
    unit = edge_unit(
        f"{PLANTED / 'bug_relu_slope_two_at_zero.py'}:Value",
        ("add", "sub", "mul", "relu"),
        strict=True,
    )
    assert (row(unit, "relu'(0)").verdict, row(unit, "relu'(0)").bug) == (conventions.OUTSIDE, True)
    [bug] = unit.bugs
    assert bug.verdict is Verdict.TARGET_BUG
    assert "outside the one-sided derivatives" in bug.judgement.explanation
    assert "relu'(0)" in bug.judgement.explanation
    assert len(bug.case.program) == 1  # relu(x0) at 0, or as small


@pytest.mark.parametrize(
    ("spec", "abs_answer", "verdict"),
    [("torch", 0.0, conventions.FOLLOWS_TORCH), ("jax", 1.0, conventions.FOLLOWS_JAX)],
)
def test_torch_and_jax_as_targets_show_convention_differences_not_bugs(spec, abs_answer, verdict):
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    unit = edge_unit(
        spec,
        ("add", "sub", "mul", "abs", "relu"),
        examples=8,
        references=("torch", "jax", "mpmath"),
    )
    for label in ("abs'(0)", "abs'(-0.0)", "relu(-0.0)", "relu'(nan)", "abs'(nan)"):
        found = row(unit, label)
        assert (found.verdict, found.bug) == (verdict, False), label
    assert row(unit, "abs'(0)").answer == abs_answer
    assert unit.bugs == []
    assert not any("kink" in warning.judgement.explanation for warning in unit.warnings)


def test_the_table_travels_through_the_result_file_into_both_reports(tmp_path):
    unit = edge_unit("refgrad", ("add", "mul", "abs", "pow"), examples=5)
    campaign_result = Campaign(
        targets.load("refgrad"),
        Settings(
            families=("edge",),
            max_examples=5,
            references=("mpmath",),
            ops=("add", "mul", "abs", "pow"),
        ),
    ).run()
    path = tmp_path / "result.json"
    results.write(results.to_json(campaign_result), path)
    data = results.read(path)
    [entry] = data["families"]
    labels = [r["label"] for r in entry["conventions"]["rows"]]
    assert labels == [r.point.label for r in unit.convention_table]
    assert json.loads(json.dumps(entry["conventions"])) == entry["conventions"]
    markdown = report.markdown(data)
    assert "## Conventions at kinks and special points (edge)" in markdown
    assert (
        "| abs'(0) | `abs(x0)` at x0 = 0.0 | 0.0 | 0.0 | 1.0 | [-1.0, 1.0] | follows torch |"
        in (markdown)
    )
    page = html_report.render(data)
    assert 'id="conventions-1"' in page and "follows torch" in page


def test_units_of_other_families_carry_no_table():
    settings = Settings(families=("smooth",), max_examples=3, references=("mpmath",))
    unit = Campaign(targets.load("refgrad"), settings).run_unit(Unit("smooth"))
    assert unit.convention_table is None
    assert "conventions" not in results.unit_to_json(unit)


def test_a_table_row_missing_a_field_is_a_report_error():
    data = results.read(Path(__file__).parents[2] / "reports" / "oracle" / "torch-edge.json")
    del data["families"][0]["conventions"]["rows"][3]["verdict"]
    with pytest.raises(report.ReportError, match=r"conventions.rows\[3\] has no 'verdict'"):
        report.markdown(data)


def test_the_committed_edge_reports_show_abs_zero_as_a_convention_difference():
    committed = Path(__file__).parents[2] / "reports" / "oracle"
    for name, answer, verdict in (("torch", 0.0, "follows torch"), ("jax", 1.0, "follows jax")):
        data = results.read(committed / f"{name}-edge.json")
        [entry] = data["families"]
        abs_row = next(r for r in entry["conventions"]["rows"] if r["label"] == "abs'(0)")
        assert (abs_row["target"], abs_row["verdict"], abs_row["bug"]) == (answer, verdict, False)
        assert data["exit_code"] == 0


def test_the_ci_summary_lists_the_rows_that_do_not_follow_both():
    committed = Path(__file__).parents[2] / "reports" / "oracle" / "jax-edge.json"
    text = report.summary(results.read(committed))
    assert "Conventions at kinks (edge): 12 of 18 special points follow both" in text
    assert "- `abs'(0)`: target 1.0, torch 0.0, jax 1.0: follows jax" in text
    bug_row = "- `(x ** 0)' at 0`: target nan, torch 0.0, jax nan: **outside the interval: bug**"
    assert bug_row in text
    assert "`relu'(0)`" not in text  # it follows both


def test_with_strict_a_bug_row_joins_the_bugs_when_no_drawn_case_found_it():
    engine = f"{PLANTED / 'bug_relu_slope_two_at_zero.py'}:Value"
    unit = edge_unit(engine, ("add", "mul", "relu"), strict=True, examples=1)
    assert unit.examples_to_first_bug is None  # the one drawn case did not sit on the kink
    [bug] = unit.bugs
    assert bug.case.program == by_label("relu'(0)").program and bug.case.points == ((0.0,),)
    relaxed = edge_unit(engine, ("add", "mul", "relu"), examples=1)
    assert relaxed.bugs == [] and row(relaxed, "relu'(0)").bug  # without strict: in the table
