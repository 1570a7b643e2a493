"""The pytest plugin, run in fresh temporary projects (pytester): a planted bug fails with its
minimal program, a correct engine passes, ini keys work, the fixture serves user tests."""

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ENGINES = Path(__file__).parents[1] / "quality" / "engines"
QUICK = ["--oracle-families=smooth", "--oracle-references=torch,mpmath", "--oracle-max-examples=30"]


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
