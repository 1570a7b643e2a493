"""Expected failures: parsing the xfail file, matching bugs, and the CLI's exit code."""

import subprocess
import sys
from pathlib import Path

import pytest

from oracle.expected import ExpectedFileError, apply, parse

ENGINES = Path(__file__).parents[1] / "quality" / "engines"


def bug(family="smooth", verdict="target bug", ops=("mul",), identity="abc123"):
    steps = [[op, [0, 0] if op != "neg" else [0]] for op in ops]
    return {"id": identity, "family": family, "verdict": verdict, "program": {"steps": steps}}


def test_entries_match_by_family_op_verdict_or_id():
    entries = parse("# comment\nsmooth:mul\ndeep:*:exception divergence\nid:fff000\n")
    data = {
        "families": [
            {"bugs": [bug(), bug(ops=("add",))]},
            {"bugs": [bug("deep", "exception divergence", ("add",)), bug(identity="fff000")]},
        ]
    }
    unmatched = apply(data, entries)
    lines = [b["expected_by"] for family in data["families"] for b in family["bugs"]]
    assert lines == [2, None, 3, 2]  # the first matching line wins
    assert [entry.text for entry in unmatched] == ["id:fff000"]
    assert data["exit_code"] == 1 and data["unexpected_bug_count"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("smooth", "expected FAMILY:OP"),
        ("gentle:mul", "unknown family"),
        ("smooth:erf", "unknown op"),
        ("smooth:mul:wrong", "unknown verdict"),
    ],
)
def test_bad_lines_say_which_line_and_why(text, message):
    with pytest.raises(ExpectedFileError, match=f"xfail file:1: {message}"):
        parse(text)


def test_the_cli_exits_0_when_every_bug_is_expected(tmp_path):
    xfail = tmp_path / "xfail.txt"
    xfail.write_text("smooth:*:target bug\n")
    arguments = ["--families", "smooth", "--references", "torch,mpmath", "--max-examples", "30"]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "oracle",
            "check",
            f"{ENGINES / 'bug_sub_sign.py'}:Value",
            *arguments,
            "--xfail",
            str(xfail),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "is expected: xfail line 1" in run.stdout
