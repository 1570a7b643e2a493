"""The HTML report and the Markdown CI summary, rendered from result documents built by hand:
a frozen result file of refgrad made before results recorded coverage
(``data/refgrad-without-coverage.json``, with the Markdown report made from it then), plus a
planted bug and coverage computed here."""

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from oracle import html_report, report
from oracle.coverage import Coverage
from oracle.program import Const, Program, Step

DATA = Path(__file__).parent / "data"
WRONG = 0.123456789  # the target's d/dx0 in the planted bug; the references say 1.0
PLANTED = '<script>alert("boo")</script> & d/dx0: target 0.123456789, references 1.0'


def refgrad() -> dict:
    return json.loads((DATA / "refgrad-without-coverage.json").read_text())


def square() -> Program:
    return Program(1, (Step("mul", (0, 0)),))


def sine_chain(length: int) -> Program:
    return Program(1, tuple(Step("sin", (index,)) for index in range(length)))


def planted_bug(program: Program, explanation: str = PLANTED) -> dict:
    """A bug entry shaped like :func:`oracle.results.case_to_json` makes them."""
    outcome = {"value": 0.25, "gradient": [1.0]}
    return {
        "id": "0123456789ab",
        "verdict": "target bug",
        "explanation": explanation,
        "quantity": "d/dx0",
        "notes": [],
        "family": "smooth",
        "program": program.to_json(),
        "program_python": program.to_python(),
        "steps": len(program),
        "point": [0.5],
        "target": {"value": 0.25, "gradient": [WRONG]},
        "references": {"torch": outcome, "mpmath": {**outcome, "gradient_error": [0.0]}},
        "tolerance": {"value": 4.4e-16, "d/dx0": 8.9e-15},
        "ill_conditioned": None,
    }


def with_bug(data: dict, bug: dict) -> dict:
    data = copy.deepcopy(data)
    smooth = data["families"][0]
    smooth["bugs"].append(bug)
    smooth["verdicts"]["target bug"] = smooth["verdicts"].get("target bug", 0) + 1
    data["bug_count"] += 1
    data["exit_code"] = 1
    return data


def with_coverage(data: dict) -> dict:
    """Coverage of each entry's notable and bug programs, and a few hand-made ones."""
    data = copy.deepcopy(data)
    for entry in data["families"]:
        coverage = Coverage()
        for case in [*entry["bugs"], *(c for cases in entry["notable"].values() for c in cases)]:
            coverage.add(Program.from_json(case["program"]), case["verdict"])
        coverage.add(Program(2, (Step("sub", (Const(2.0), 1)), Step("mul", (2, 0)))), "agree")
        coverage.add(sine_chain(300), "agree")
        entry["coverage"] = coverage.to_json()
    return data


class Page(HTMLParser):
    """The parsed page: every element must close in order; text is kept with its ancestors."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"})

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, set[str]]] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.texts: list[tuple[tuple, str]] = []  # (ancestors as (tag, classes), text)
        self.feed(markup)
        self.close()
        self.errors += [f"<{tag}> never closed" for tag, _ in self.open]

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append((tag, set((dict(attrs).get("class") or "").split())))

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            expected = self.open[-1][0] if self.open else "nothing"
            self.errors.append(f"</{tag}> closes {expected}")
            return
        self.open.pop()

    def handle_data(self, data):
        if data.strip():
            self.texts.append((tuple((tag, frozenset(c)) for tag, c in self.open), data))

    def text_in(self, *selectors: tuple[str, str]) -> list[str]:
        """Texts inside elements matching each ``(tag, class)`` in order ("" for any class)."""
        found = []
        for ancestors, text in self.texts:
            position = 0
            for tag, classes in ancestors:
                want_tag, want_class = selectors[position]
                if tag == want_tag and (not want_class or want_class in classes):
                    position += 1
                    if position == len(selectors):
                        found.append(text)
                        break
        return found

    @property
    def all_text(self) -> str:
        return " ".join(text for _, text in self.texts)


def test_the_report_of_a_bug_parses_and_shows_its_program_and_wrong_number():
    data = with_coverage(with_bug(refgrad(), planted_bug(square())))
    markup = html_report.render(data)
    page = Page(markup)
    assert page.errors == []
    assert page.tags.count("html") == 1 and "script" not in page.tags
    assert "link" not in page.tags and "img" not in page.tags  # standalone: nothing to fetch
    assert page.text_in(("div", "banner"), ("strong", "")) == ["1 target bug found"]
    assert "return x0 * x0" in page.text_in(("pre", "program"), ("code", ""))[0]
    flagged_target = page.text_in(("tr", "flagged"), ("td", "target"))
    assert flagged_target[0] == repr(WRONG)  # the wrong number, on the row the verdict is on
    assert "0123456789ab" in page.all_text
    regenerate = page.text_in(("pre", "command"), ("code", ""))
    assert regenerate == [report.regenerate_command(data)]


def test_text_from_the_document_is_escaped():
    data = with_bug(refgrad(), planted_bug(square()))
    data["target"]["name"] = 'engine.py:"<Value>"'
    data["families"][0]["notes"] = ["<b>bold</b> claims"]
    markup = html_report.render(data)
    page = Page(markup)
    assert page.errors == [] and "script" not in page.tags and "b" not in page.tags
    assert "&lt;script&gt;alert(&#34;boo&#34;)&lt;/script&gt; &amp; d/dx0" in markup
    assert PLANTED in page.all_text  # shown as text, exactly
    assert 'engine.py:"<Value>"' in page.all_text and "<b>bold</b> claims" in page.all_text


def test_coverage_shows_every_op_every_pair_and_what_was_never_drawn():
    data = with_coverage(with_bug(refgrad(), planted_bug(square())))
    page = Page(html_report.render(data))
    ops = data["target"]["supported_ops"]
    per_op = page.text_in(("section", ""), ("table", "data"), ("code", "op"))
    assert per_op == ops  # a row per op, in the op table's order
    never = page.text_in(("tr", "untested"), ("span", "chip"))
    assert 0 < len(never) < len(ops)  # the hand-made coverage leaves some ops out
    matrix_rows = page.text_in(("table", "matrix"), ("tbody", ""), ("th", ""))
    assert matrix_rows == ["input", *ops]
    cells = page.text_in(("table", "matrix"), ("td", ""))
    zeros = page.text_in(("table", "matrix"), ("td", "zero"))
    assert len(cells) == (len(ops) + 1) * len(ops) and 0 < len(zeros) < len(cells)
    assert "a self-operand (v * v, v + v)" in page.all_text
    assert "257-512" in page.all_text  # the 300-step chain's length bucket


def test_a_long_minimal_program_is_abridged():
    data = with_bug(refgrad(), planted_bug(sine_chain(100)))
    program = Page(html_report.render(data)).text_in(("pre", "program"), ("code", ""))[0]
    assert "more lines of the same kind" in program
    assert len(program.splitlines()) <= report.SHOWN_LINES + 1


def test_a_report_without_coverage_or_bugs_says_so():
    page = Page(html_report.render(refgrad()))
    assert page.errors == []
    assert page.text_in(("div", "banner"), ("strong", "")) == ["No target bug found"]
    assert "Coverage was not recorded in this result file" in page.all_text
    assert page.text_in(("article", "bad")) == []


def test_units_and_their_focus_get_columns_and_expected_bugs_an_amber_banner():
    data = with_bug(refgrad(), planted_bug(square()))
    data["families"][0].update(unit="smooth", focus=None)
    data["families"][1].update(unit="smooth-log", family="smooth", focus="log")
    data["exit_code"], data["unexpected_bug_count"] = 0, 0
    data["families"][0]["bugs"][0]["expected_by"] = 3
    page = Page(html_report.render(data))
    assert page.errors == []
    header = page.text_in(("section", ""), ("table", "data"), ("thead", ""), ("th", ""))
    assert header[:3] == ["unit", "family", "focus"]
    rows = page.text_in(("table", "data"), ("tbody", ""), ("tr", ""))
    start = rows.index("smooth-log")
    assert rows[start : start + 3] == ["smooth-log", "smooth", "log"]
    assert page.text_in(("div", "expected"), ("strong", "")) == ["1 target bug found"]
    assert "Expected: matches line 3 of the xfail file." in page.all_text


def test_a_document_missing_keys_is_refused_clearly():
    data = refgrad()
    del data["throughput"]
    with pytest.raises(report.ReportError, match="the result document has no 'throughput'"):
        html_report.render(data)
    data = with_bug(refgrad(), planted_bug(square()))
    del data["families"][0]["bugs"][0]["point"]
    with pytest.raises(report.ReportError, match=r"families\[0\]\.bugs\[0\] has no 'point'"):
        report.summary(data)


def test_the_ci_summary_is_short_and_folds_each_bug():
    data = with_coverage(with_bug(refgrad(), planted_bug(square())))
    text = report.summary(data)
    lines = text.splitlines()
    assert len(lines) < 45
    assert lines[0].startswith("### ") and "1 target bug found" in lines[0]
    assert "| smooth | 150 | 600 | 542 | **1** | 58 |" in text  # a bug count stands out
    assert "<details>" in text and "</details>" in text
    assert "<summary>Bug 1 (smooth): target bug on d/dx0 (id 0123456789ab)</summary>" in text
    assert "```python\ndef f(x0):\n    return x0 * x0\n```" in text
    assert f"| d/dx0 | {WRONG!r} | 1.0 | 1.0 | 8.9e-15 |" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "Coverage: " in text
    assert text.rstrip().endswith(f"`{report.regenerate_command(data)}`")


def test_the_ci_summary_of_a_clean_run_adds_up_units_per_family():
    data = refgrad()
    unit = copy.deepcopy(data["families"][0])
    unit.update(unit="smooth-log", focus="log")
    data["families"].insert(1, unit)
    data["settings"].update(per_op=True, shard=[1, 2])
    text = report.summary(data)
    assert "--per-op --shard 1/2`" in text
    assert "no target bug found" in text.splitlines()[0] and "<details>" not in text
    assert "| smooth | 2 | 300 | 1,200 |" in text  # two units of 150 examples
    assert "| deep | 1 | 10 | 10 |" in text


def test_markdown_is_unchanged_without_coverage_and_gains_a_section_with_it():
    data = refgrad()
    assert report.markdown(data) == (DATA / "refgrad-without-coverage.md").read_text()
    text = report.markdown(with_coverage(data))
    assert "## Coverage" in text
    assert "| op | steps | programs |" in text and "| sin | " in text
    assert "Op pairs exercised (producer -> consumer" in text
    before = text[: text.index("## Coverage")]
    assert report.markdown(data).startswith(before.rstrip("\n"))


def test_unsupported_ops_are_listed_with_their_reason():
    data = refgrad()
    reason = "x0.sigmoid() raises AttributeError: 'Value' object has no attribute 'sigmoid'"
    data["target"]["unsupported_ops"] = {"sigmoid": reason}
    page = Page(html_report.render(data))
    assert page.text_in(("section", ""), ("td", "reason")) == [reason]
    assert "Unsupported ops" in page.text_in(("nav", ""), ("a", ""))
    text = report.summary(data)
    assert "Not supported, so not tested:\n- `sigmoid`: x0.sigmoid() raises AttributeError" in text
