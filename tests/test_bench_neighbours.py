"""benchmarks/neighbours.py: the suite's own steps for one case, with and without JAX in the
rounds, and the table of ratios to micrograd it writes."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks import neighbours, presets

pytest.importorskip("micrograd.engine")


def test_one_measurement_times_the_suites_engines_but_the_ones_left_out():
    quick = dataclasses.replace(presets.CHECK, min_rounds=2, max_rounds=2)
    without = ("jax eager", "jax.jit", "torch eager")
    medians = neighbours.measure_once(10, without, base=quick)
    expected = [name for name in quick.engines if name not in without]
    assert list(medians) == expected
    assert "torch.compile" not in medians  # left out of every setting
    assert all(seconds > 0.0 for seconds in medians.values())


def test_the_table_gives_each_engine_over_micrograd_per_run():
    runs = [
        {"setting": "every engine", "medians": {"refgrad eager": 2.0, "micrograd": 4.0}},
        {"setting": "without JAX", "medians": {"refgrad eager": 1.0, "micrograd": 4.0}},
        {"setting": "every engine", "medians": {"jax eager": 400.0, "micrograd": 4.0}},
        {"setting": "without JAX", "medians": {"micrograd": 2.0}},
    ]
    text = neighbours.markdown(1_000, runs)
    header = "| engine | every engine (1) | without JAX (2) | every engine (3) | without JAX (4) |"
    assert header in text
    assert "| refgrad eager | 0.500 | 0.250 | not run | not run |" in text
    assert "| jax eager | not run | not run | 100.000 | not run |" in text
    assert "| micrograd, µs per node | 4000.00 | 4000.00 | 4000.00 | 2000.00 |" in text
    assert f"Regenerate: `{neighbours.COMMAND} --nodes 1000 --pairs 2`." in text


def test_a_ratio_under_a_tenth_is_written_as_a_fraction():
    assert neighbours._ratio({"compiled": 0.25, "micrograd": 10.0}, "compiled") == "1/40"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pairs", "0"], "--pairs must be at least 1"),
        (["--nodes", "0"], "argument --nodes: invalid choice: 0"),
        (["--nodes", "20"], "argument --nodes: invalid choice: 20"),  # not a size the suite times
    ],
)
def test_bad_counts_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        neighbours.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
