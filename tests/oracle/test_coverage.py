"""Coverage statistics: exact counts on hand-made programs, merging, and the cost per case."""

import json
import time
from collections import Counter

import pytest
from hypothesis import given, settings

from oracle.coverage import Coverage, CoverageError, bucket_start, merge, missing_pairs
from oracle.program import Const, Program, Step
from oracle.strategies import programs


def fan_out_program() -> Program:
    """``f(x0, x1) = (1.0 - (v2 + v2.tanh())) / 2.0`` with ``v2 = x0 * x0``; x1 is unused."""
    return Program(
        2,
        (
            Step("mul", (0, 0)),  # v2: a self-operand
            Step("tanh", (2,)),  # v3
            Step("add", (2, 3)),  # v4: v2 read by a second step
            Step("sub", (Const(1.0), 4)),  # v5: constant on the left
            Step("div", (5, Const(2.0))),  # v6: constant on the right; the output
        ),
    )


def chain(length: int, op: str = "sin") -> Program:
    return Program(1, tuple(Step(op, (index,)) for index in range(length)))


def test_a_hand_made_program_gives_exactly_the_expected_counts():
    coverage = Coverage()
    coverage.add(fan_out_program(), "agree")
    document = coverage.to_json()
    assert document["programs"] == 1 and document["steps"] == 5
    assert document["verdicts"] == {"agree": 1}
    assert document["inputs"] == {"2": 1}
    assert document["length"] == {"5": 1} and document["depth"] == {"5": 1}
    assert document["ops"] == {
        op: {"steps": 1, "programs": 1, "verdicts": {"agree": 1}}
        for op in ("add", "sub", "mul", "div", "tanh")
    }
    assert document["pairs"] == {
        "input": {"mul": 2},  # x0 * x0 reads x0 twice
        "add": {"sub": 1},
        "sub": {"div": 1},
        "mul": {"add": 1, "tanh": 1},
        "tanh": {"add": 1},
    }
    assert document["constants"] == {"sub": {"left": 1}, "div": {"right": 1}}
    assert document["fan_out"] == {
        # x1 is never read; v3, v4, v5 once; x0 (by one step) and v2 (by two) twice.
        "uses": {"0": 1, "1": 3, "2": 2},
        "most_uses": 2,
        "shared_values": 1,  # v2 only: x0's two reads are one step's
        "self_operands": {"mul": 1},
        "reach": {"1": 4, "2": 3},  # v2 <- x0 twice and v4 <- v2 reach back two values
        "longest_reach": 2,
        "programs": {"fan_out": 1, "shared_value": 1, "self_operand": 1, "unused_input": 1},
    }


def test_a_chain_has_no_fan_out_and_its_length_is_bucketed():
    coverage = Coverage()
    coverage.add(chain(20), "target bug")
    document = coverage.to_json()
    assert document["length"] == {"17-32": 1} and document["depth"] == {"17-32": 1}
    assert document["ops"] == {"sin": {"steps": 20, "programs": 1, "verdicts": {"target bug": 1}}}
    assert document["pairs"] == {"input": {"sin": 1}, "sin": {"sin": 19}}
    assert document["constants"] == {}
    fan_out = document["fan_out"]
    assert fan_out["uses"] == {"1": 20} and fan_out["most_uses"] == 1
    assert fan_out["shared_values"] == 0 and fan_out["self_operands"] == {}
    assert fan_out["reach"] == {"1": 20} and fan_out["programs"] == {}


def in_bucket(count: int, label: str) -> bool:
    low, _, high = label.partition("-")
    return int(low) <= count <= int(high or low)


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(1, "1"), (8, "8"), (9, "9-16"), (16, "9-16"), (17, "17-32"), (4000, "2049-4096")],
)
def test_lengths_past_eight_fall_in_power_of_two_buckets(length, bucket):
    coverage = Coverage()
    coverage.add(chain(length, "neg"), "agree")
    assert coverage.to_json()["length"] == {bucket: 1}
    assert in_bucket(length, bucket) and bucket_start(bucket) <= length


def test_uses_of_four_or_more_share_a_bucket_and_the_most_is_kept():
    # v1 = x0 + x0, v2 = v1 * x0, v3 = v2 - x0, v4 = v3 + x0: x0 is read five times.
    program = Program(
        1,
        (Step("add", (0, 0)), Step("mul", (1, 0)), Step("sub", (2, 0)), Step("add", (3, 0))),
    )
    coverage = Coverage()
    coverage.add(program, "agree")
    fan_out = coverage.to_json()["fan_out"]
    assert fan_out["uses"] == {"1": 3, "4+": 1} and fan_out["most_uses"] == 5
    assert fan_out["self_operands"] == {"add": 1} and fan_out["shared_values"] == 1
    assert fan_out["longest_reach"] == 4  # v4 reads x0


def test_a_program_without_steps_does_not_count_its_output_input_as_unused():
    coverage = Coverage()
    coverage.add(Program(1, ()), "agree")
    document = coverage.to_json()
    assert document["fan_out"]["uses"] == {} and document["fan_out"]["programs"] == {}
    assert document["depth"] == {"0": 1} and document["length"] == {"0": 1}


@settings(max_examples=60)
@given(programs(max_inputs=3, max_steps=12))
def test_counts_agree_with_the_programs_own_uses_and_depth(program):
    coverage = Coverage()
    coverage.add(program, "agree")
    document = coverage.to_json()
    uses = Counter(str(count) if count < 4 else "4+" for count in program.uses()[:-1])
    assert document["fan_out"]["uses"] == dict(sorted(uses.items()))
    [depth] = document["depth"]
    assert in_bucket(program.depth(), depth)
    value_operands = sum(isinstance(o, int) for step in program.steps for o in step.operands)
    pairs = document["pairs"]
    assert sum(n for row in pairs.values() for n in row.values()) == value_operands
    assert sum(document["fan_out"]["reach"].values()) == value_operands
    ops = Counter(program.ops)
    assert {op: entry["steps"] for op, entry in document["ops"].items()} == dict(ops)
    json.dumps(document, allow_nan=False)  # plain JSON


def test_merge_adds_counts_up_and_keeps_the_largest_extremes():
    first, second, both = Coverage(), Coverage(), Coverage()
    first.add(fan_out_program(), "agree")
    second.add(chain(20), "target bug")
    second.add(fan_out_program(), "fd unreliable")
    for program, verdict in [
        (fan_out_program(), "agree"),
        (chain(20), "target bug"),
        (fan_out_program(), "fd unreliable"),
    ]:
        both.add(program, verdict)
    merged = merge([first.to_json(), second.to_json()])
    assert merged == both.to_json()
    assert merged["programs"] == 3 and merged["steps"] == 30
    assert merged["ops"]["mul"] == {
        "steps": 2,
        "programs": 2,
        "verdicts": {"agree": 1, "fd unreliable": 1},
    }
    assert merged["pairs"]["input"] == {"mul": 4, "sin": 1}
    assert merged["fan_out"]["most_uses"] == 2  # the largest, not a sum
    assert merged["fan_out"]["longest_reach"] == 2
    assert merged["fan_out"]["programs"]["self_operand"] == 2


def test_merge_of_nothing_is_empty_and_a_document_survives_a_round_trip():
    assert merge([]) == Coverage().to_json()
    coverage = Coverage()
    coverage.add(fan_out_program(), "agree")
    document = json.loads(json.dumps(coverage.to_json()))
    assert Coverage.from_json(document).to_json() == document
    assert merge([document]) == document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("pairs"), "'pairs'"),
        (lambda d: d.update(version=2), "version 1"),
        (lambda d: d["ops"]["mul"].update(steps="many"), "'many' is not a count"),
        (lambda d: d["fan_out"].update(uses=[1, 2]), "malformed"),
    ],
)
def test_a_malformed_document_is_refused_with_a_clear_error(change, message):
    coverage = Coverage()
    coverage.add(fan_out_program(), "agree")
    document = coverage.to_json()
    change(document)
    with pytest.raises(CoverageError, match=message):
        merge([document])


def test_missing_pairs_lists_what_no_operand_exercised():
    coverage = Coverage()
    coverage.add(chain(3, "sin"), "agree")
    missing = missing_pairs(coverage.to_json(), ["sin", "cos"])
    assert missing == [("input", "cos"), ("sin", "cos"), ("cos", "sin"), ("cos", "cos")]


def test_a_program_of_4000_steps_is_recorded_in_milliseconds():
    # The deep family's residual chain: v = v + 0.001 * tanh(v) * x0, a thousand links.
    steps = []
    value = 0
    for _ in range(1000):
        first = 1 + len(steps)
        steps += [
            Step("tanh", (value,)),
            Step("mul", (first, Const(0.001))),
            Step("mul", (first + 1, 0)),
            Step("add", (value, first + 2)),
        ]
        value = first + 3
    program = Program(1, tuple(steps))
    coverage = Coverage()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        coverage.add(program, "agree")
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.05  # about 5 ms on a 2-core machine; the case itself takes far more
    document = coverage.to_json()
    assert document["steps"] == 12_000 and document["depth"] == {"2049-4096": 3}
    assert document["fan_out"]["longest_reach"] == 3999  # the last link reads x0
