"""Targets: loading by name and path, op probing, and engine failures as outcomes."""

import pytest

from oracle import targets
from oracle.compare import Verdict
from oracle.program import Const, Program, Step
from oracle.runner import Campaign, Settings
from oracle.strategies import Case
from oracle.targets import TargetLoadError

SQUARE = Program(1, (Step("mul", (0, 0)),))

ENGINE = '''
import math


class Value:
    """A tiny engine: + - * and tanh only."""

    def __init__(self, data, children=(), slopes=()):
        self.data, self.grad = float(data), 0.0
        self._children, self._slopes = children, slopes

    @staticmethod
    def lift(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Value.lift(other))

    def __rsub__(self, other):
        return Value.lift(other) + (-self)

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._children)
        self.grad = 1.0
        for node in reversed(order):
            for child, slope in zip(node._children, node._slopes):
                child.grad += slope * node.grad
'''


@pytest.fixture(scope="module")
def engine_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("engine") / "tiny.py"
    path.write_text(ENGINE)
    return path


def test_a_file_target_is_probed_for_its_ops(engine_file):
    target = targets.load(f"{engine_file}:Value")
    assert set(target.supported_ops) == {"add", "sub", "mul", "neg", "tanh"}
    assert "AttributeError" in target.unsupported_ops["exp"]
    assert "TypeError" in target.unsupported_ops["div"]
    [outcome] = target.evaluate(SQUARE, [(3.0,)])
    assert (outcome.value, outcome.gradient) == (9.0, (6.0,))


def test_published_micrograd_is_a_built_in_name():
    target = targets.load("micrograd")
    assert set(target.supported_ops) == {"add", "sub", "mul", "div", "pow", "neg", "relu"}


def test_refgrad_modes_are_targets():
    program = Program(2, (Step("mul", (0, 1)), Step("sin", (2,))))
    outcomes = {
        name: targets.load(name).evaluate(program, [(0.5, 2.0), (1.5, -1.0)])
        for name in ("refgrad", *(f"refgrad-{mode}" for mode in targets.REFGRAD_MODES))
    }
    eager = outcomes["refgrad"]
    for name, outcome in outcomes.items():
        assert outcome == eager, name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-such-target", "neither a built-in name"),
        ("refgrad-lazy", "unknown refgrad mode"),
        ("no_such_module_anywhere:Value", "cannot import"),
        ("json:NoSuchThing", "has no attribute"),
        ("json:dumps", "expected a value-protocol class"),
        ("missing/file.py:Value", "no such file"),
    ],
)
def test_bad_specs_are_load_errors(spec, message):
    with pytest.raises(TargetLoadError, match=message):
        targets.load(spec)


def test_an_engine_without_arithmetic_cannot_be_tested(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("class Value:\n    def __init__(self, x):\n        self.data = x\n")
    with pytest.raises(TargetLoadError, match="lacks required arithmetic"):
        targets.load(f"{path}:Value")


def misbehaving_engine(tmp_path, *replacements):
    source = ENGINE
    for old, new in replacements:
        assert old in source
        source = source.replace(old, new)
    path = tmp_path / "misbehaving.py"
    path.write_text(source)
    return targets.load(f"{path}:Value")


BACKWARD = "        self.grad = 1.0\n"


def test_a_crash_becomes_a_failed_outcome(tmp_path):
    target = misbehaving_engine(tmp_path, (BACKWARD, "        raise RuntimeError('boom')\n"))
    [outcome] = target.evaluate(SQUARE, [(3.0,)])
    assert outcome.error == "RuntimeError: boom"


def test_a_hang_becomes_a_failed_outcome_under_the_campaigns_time_limit(tmp_path):
    target = misbehaving_engine(tmp_path, (BACKWARD, "        while True:\n            pass\n"))
    campaign = Campaign(target, Settings(references=("fd",), time_limit=0.5))
    result = campaign.evaluate(Case("smooth", SQUARE, ((3.0,), (4.0,))))
    assert all(outcome.error.startswith("TargetTimeout") for outcome in result.target)
    assert result.verdict is Verdict.EXCEPTION_DIVERGENCE


def test_a_missing_grad_is_a_protocol_failure(tmp_path):
    target = misbehaving_engine(
        tmp_path,
        ("self.grad = float(data), 0.0", "self.grad = float(data), None"),
        ("child.grad += slope * node.grad", "child.grad = (child.grad or 0.0) + slope * node.grad"),
    )
    unused_input = Program(2, (Step("mul", (0, Const(2.0))),))
    [outcome] = target.evaluate(unused_input, [(3.0, 1.0)])
    assert outcome.error == "ProtocolError: x1.grad is missing (None)"
