"""The pytest plugin, run in fresh temporary projects (pytester): a planted bug fails with its
minimal program, a correct engine passes, ini keys work, the fixture serves user tests, tests
split per op and into shards, xdist gives the serial run's verdicts, the example database
replays a failure first, and the outputs are written from every test's results."""

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ENGINES = Path(__file__).parents[1] / "quality" / "engines"
QUICK = [
    "--oracle-families=smooth",
    "--oracle-references=torch,mpmath",
    "--oracle-max-examples=30",
    "--oracle-split=family",
    "--oracle-database=none",
]


def copy_engine(pytester, name: str) -> str:
    for file in (f"{name}.py", "_template.py"):
        shutil.copy(ENGINES / file, pytester.path / file)
    return f"{name}.py:Value"


def test_a_planted_bug_fails_with_the_minimal_program_and_junit_lists_it(pytester):
    target = copy_engine(pytester, "bug_mul_assigns_grad")
    result = pytester.runpytest_subprocess(
        f"--oracle-target={target}", *QUICK, "--junitxml=out.xml"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "oracle: target bug_mul_assigns_grad.py:Value; references torch, mpmath*",
            "*BUG 1 (smooth): target bug*",
            "*return x0 * x0*",
            "FAILED *oracle[[]smooth[]]*",
        ]
    )
    junit = (pytester.path / "out.xml").read_text()
    assert 'name="oracle[smooth]"' in junit and "<failure" in junit


def test_a_correct_engine_passes(pytester):
    target = copy_engine(pytester, "correct_tape")
    result = pytester.runpytest_subprocess(f"--oracle-target={target}", *QUICK)
    result.assert_outcomes(passed=1)


def test_ini_keys_mirror_the_options(pytester):
    target = copy_engine(pytester, "bug_sub_sign")
    pytester.makeini(
        f"""
        [pytest]
        oracle_target = {target}
        oracle_families = smooth
        oracle_references = torch,mpmath
        oracle_max_examples = 30
        oracle_seed = 3
        oracle_split = family
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["oracle: target bug_sub_sign.py:Value*seed 3"])


def test_the_fixture_gives_user_tests_the_target(pytester):
    target = copy_engine(pytester, "correct_tape")
    pytester.makepyfile(
        """
        from hypothesis import given, settings
        from oracle.strategies import cases

        @settings(max_examples=5, deadline=None)
        @given(cases("smooth", ops=("add", "mul")))
        def test_my_property(oracle_target, case):
            outcomes = oracle_target.evaluate(case.program, case.points)
            assert all(outcome.ok for outcome in outcomes)
        """
    )
    result = pytester.runpytest_subprocess(f"--oracle-target={target}", *QUICK)
    result.assert_outcomes(passed=2)  # the user's property and oracle[smooth]


def test_without_a_target_the_plugin_stays_out_of_the_way(pytester):
    pytester.makepyfile("def test_nothing(oracle_target):\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(skipped=1)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--oracle-target=nowhere.py:Value", "no such file"),
        ("--oracle-families=gentle", "unknown family gentle"),
        ("--oracle-shard=3/2", "not I/N"),
        ("--oracle-split=program", "unknown split"),
    ],
)
def test_bad_options_are_usage_errors(pytester, option, message):
    arguments = [option] if "target" in option else ["--oracle-target=refgrad", option]
    result = pytester.runpytest_subprocess(*arguments)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_an_xfail_file_turns_expected_bugs_into_xfails_and_lists_stale_entries(pytester):
    target = copy_engine(pytester, "bug_mul_assigns_grad")
    pytester.makefile(".txt", xfail="smooth:mul:target bug\ndeep:*\n")
    result = pytester.runpytest_subprocess(
        f"--oracle-target={target}", *QUICK, "--oracle-xfail=xfail.txt"
    )
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*oracle: xfail line 2 (deep:*) matched no bug*"])


# --- units per op, shards, xdist, the example database, outputs -------------------------------

FOCUSED = [
    "--oracle-families=smooth",
    "--oracle-references=torch,mpmath",
    "--oracle-max-examples=8",
    "--oracle-ops=add,sub,mul,tanh,log,sin",
    "--oracle-database=none",
]


def collected(result) -> list[str]:
    return [line.split("::")[-1] for line in result.stdout.lines if "::oracle[" in line]


def test_one_test_per_op_named_after_it(pytester):
    target = copy_engine(pytester, "correct_tape")
    result = pytester.runpytest_subprocess(f"--oracle-target={target}", *FOCUSED, "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*oracle[[]smooth-log[]] PASSED*"])


def test_shards_partition_the_tests(pytester):
    target = copy_engine(pytester, "correct_tape")
    every = collected(
        pytester.runpytest_subprocess(f"--oracle-target={target}", *FOCUSED, "--collect-only", "-q")
    )
    assert every == [
        "oracle[smooth]",
        "oracle[smooth-tanh]",
        "oracle[smooth-log]",
        "oracle[smooth-sin]",
    ]
    shards = [
        collected(
            pytester.runpytest_subprocess(
                f"--oracle-target={target}",
                *FOCUSED,
                f"--oracle-shard={i}/3",
                "--collect-only",
                "-q",
            )
        )
        for i in (1, 2, 3)
    ]
    assert sorted(name for shard in shards for name in shard) == sorted(every)
    assert all(shards)


def verdicts(path: Path) -> dict:
    data = json.loads(path.read_text())
    return {
        unit["unit"]: (unit["verdicts"], sorted(bug["id"] for bug in unit["bugs"]))
        for unit in data["families"]
    }


def test_xdist_workers_give_the_serial_verdicts_and_write_the_outputs_once(pytester):
    target = copy_engine(pytester, "bug_tanh_derivative")
    options = [f"--oracle-target={target}", *FOCUSED[:-2], "--oracle-ops=add,sub,mul,tanh,log"]
    pytester.runpytest_subprocess(*options, FOCUSED[-1], "--oracle-json=serial.json")
    outputs = ["--oracle-report=out/report.md", "--oracle-repro=out/repro"]
    parallel = ["-n", "2", FOCUSED[-1], "--oracle-json=out/result.json", *outputs]
    pytester.runpytest_subprocess(*options, *parallel)
    serial = verdicts(pytester.path / "serial.json")
    assert serial == verdicts(pytester.path / "out" / "result.json")
    assert serial["smooth-tanh"][1] and not serial["smooth-log"][1]  # the bug, where it is
    data = json.loads((pytester.path / "out" / "result.json").read_text())
    assert [unit["unit"] for unit in data["families"]] == ["smooth", "smooth-tanh", "smooth-log"]
    assert data["bug_count"] >= 1 and data["exit_code"] == 1
    assert "# oracle check" in (pytester.path / "out" / "report.md").read_text()
    assert list((pytester.path / "out" / "repro").glob("repro_*.py"))


def test_the_example_database_replays_a_failure_first(pytester):
    target = copy_engine(pytester, "bug_tanh_derivative")
    options = [
        f"--oracle-target={target}",
        *FOCUSED[:-1],
        "--oracle-ops=add,sub,mul,tanh",
        "--oracle-shrink-seconds=2",  # the shrunk case is not what this test is about
    ]
    first = pytester.runpytest_subprocess(*options, "--oracle-json=first.json")
    first.assert_outcomes(failed=2)
    assert (pytester.path / ".hypothesis" / "oracle").is_dir()
    pytester.runpytest_subprocess(*options, "--oracle-json=again.json")
    again = json.loads((pytester.path / "again.json").read_text())
    assert [unit["examples_to_first_bug"] for unit in again["families"]] == [1, 1]
