"""The oracle's program IR: well-formedness, printing as runnable Python, serialization."""

import pytest
from hypothesis import given

from oracle.program import Const, Program, ProgramError, Step
from oracle.strategies import programs
from refgrad import Value


def run_printed(program: Program, inputs):
    namespace = {}
    exec(program.to_python(), namespace)
    return namespace["f"](*inputs)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((Step("mul", (0, 0)), Step("tanh", (1,))), "return (x0 * x0).tanh()"),
        ((Step("sub", (Const(2.0), 0)),), "return 2.0 - x0"),
        ((Step("sub", (0, 0)), Step("sub", (0, 1))), "return x0 - (x0 - x0)"),
        ((Step("add", (0, 0)), Step("mul", (1, 0))), "return (x0 + x0) * x0"),
        ((Step("neg", (0,)), Step("pow", (1, Const(2.0)))), "return (-x0) ** 2.0"),
        ((Step("pow", (0, Const(2.0))), Step("neg", (1,))), "return -x0**2.0"),
        ((Step("pow", (0, Const(-1.0))),), "return x0**-1.0"),
        ((Step("pow", (0, Const(2.0))), Step("pow", (1, Const(3.0)))), "return (x0**2.0) ** 3.0"),
        ((Step("div", (0, Const(-1.5))), Step("abs", (1,))), "return abs(x0 / -1.5)"),
        ((Step("neg", (0,)), Step("neg", (1,))), "return --x0"),
    ],
)
def test_prints_with_pythons_precedence(steps, expected):
    program = Program(1, steps)
    assert program.to_python().splitlines()[-1].strip() == expected
    assert run_printed(program, [Value(1.5)]).data == program.run([Value(1.5)]).data


def test_values_used_twice_get_a_name():
    program = Program(2, (Step("mul", (0, 1)), Step("mul", (2, 2)), Step("add", (3, 2))))
    assert program.to_python() == "def f(x0, x1):\n    v2 = x0 * x1\n    return v2 * v2 + v2"


def test_deep_nesting_is_broken_into_named_lines():
    steps = tuple(Step("tanh", (i,)) for i in range(40))
    text = Program(1, steps).to_python()
    assert max(line.count("(") for line in text.splitlines()) <= 5
    assert (
        run_printed(Program(1, steps), [Value(0.3)]).data
        == Program(1, steps).run([Value(0.3)]).data
    )


@given(programs())
def test_printed_program_computes_the_same_as_run(program):
    inputs = [0.7 + i for i in range(program.n_inputs)]
    printed = run_printed(program, [Value(x) for x in inputs]).data
    direct = program.run([Value(x) for x in inputs]).data
    assert printed == direct or (printed != printed and direct != direct)


@given(programs())
def test_json_round_trip(program):
    assert Program.from_json(program.to_json()) == program


@pytest.mark.parametrize(
    ("n_inputs", "steps", "message"),
    [
        (0, (), "at least one input"),
        (1, (Step("frobnicate", (0,)),), "unknown op"),
        (1, (Step("add", (0,)),), "takes 2 operands"),
        (1, (Step("add", (0, 1)),), "not an earlier value"),
        (1, (Step("add", (Const(1.0), Const(2.0))),), "only constant operands"),
        (2, (Step("pow", (0, 1)),), "constant exponent"),
    ],
)
def test_ill_formed_programs_are_rejected_with_a_reason(n_inputs, steps, message):
    with pytest.raises(ProgramError, match=message):
        Program(n_inputs, steps)


def test_depth_and_reach():
    program = Program(3, (Step("mul", (0, 0)), Step("tanh", (3,)), Step("add", (4, 1))))
    assert program.depth() == 3
    assert program.inputs_reaching_output() == {0, 1}
    assert program.uses() == [2, 1, 0, 1, 1, 0]
