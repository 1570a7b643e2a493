"""Checks of the quality corpus itself, independent of the oracle.

Programs are Python source defining ``f``; the same text runs on an engine's values and on
torch float64 tensors with ``requires_grad``, which are the reference here.

* Every buggy engine shows its bug on its ``WITNESS`` program, as its ``KIND`` says: a value or
  gradient off by more than a relative :data:`WITNESS_GAP`, a ``.data``/``.grad`` that is not a
  float (``protocol``), a RecursionError (``deep-graph-crash``), or no result before a SIGALRM
  time limit in a subprocess (``hang``). On its ``CONTROL`` program, which avoids the bug, it
  agrees with torch to :data:`AGREEMENT`: the planted bug is the only one.
* Every correct engine agrees with torch to :data:`AGREEMENT` on programs that together use
  every op it supports, with fan-out, self-operands, constants on both sides, inputs from
  1e-3 to 1e3 and 5000-deep chains.
"""

from __future__ import annotations

import contextlib
import functools
import math
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from tests.quality import catalog

WITNESS_GAP = 1e-9  # a buggy engine's witness must be off by more than this (relative)
AGREEMENT = 1e-12  # correct engines, and controls, must be this close to torch (relative)
HANG_SECONDS = 1.0  # the hang witness must still be running after this long
STACK_HEADROOM = 1000  # frames of recursion an engine gets, as in a fresh interpreter

BUGGY = [engine for engine in catalog.ENGINES if engine.expected == "bug"]
CORRECT = [engine for engine in catalog.ENGINES if engine.expected == "correct"]
NUMERIC = [engine for engine in BUGGY if engine.kind not in ("deep-graph-crash", "hang")]


def _ids(engines):
    return [engine.name for engine in engines]


# --- running a program ----------------------------------------------------------------------


@functools.cache
def compile_program(source: str):
    namespace: dict = {}
    exec(textwrap.dedent(source), namespace)
    return namespace["f"]


@contextlib.contextmanager
def fresh_stack():
    """Run the block with a fresh interpreter's recursion headroom, whatever the session set.

    ``benchmarks/conftest.py`` raises the limit for published micrograd, and Hypothesis and
    pytest change the depth; engines must crash (or not) on deep graphs as in a user's script,
    which is also how the oracle runs them.
    """
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + STACK_HEADROOM)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def run_engine(value_class, source, inputs):
    """The output's ``.data`` and every leaf's ``.grad``, exactly as the engine left them."""
    with fresh_stack():
        leaves = [value_class(x) for x in inputs]
        out = compile_program(source)(*leaves)
        out.backward()
    return (out.data, *(leaf.grad for leaf in leaves))


@functools.cache
def run_torch(source, inputs):
    """The reference: float64 autograd, with 0.0 for a leaf the output does not depend on."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = compile_program(source)(*leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return (out.item(), *(0.0 if g is None else g.item() for g in grads))


def relative_error(got, want: float) -> float:
    """How far ``got`` is from ``want``, relatively; inf if ``got`` is not a float at all."""
    if not isinstance(got, float):
        return math.inf
    if got == want:
        return 0.0
    if want == 0.0 or not math.isfinite(got):
        return math.inf
    return abs(got - want) / abs(want)


def worst(got, want) -> tuple[float, str]:
    """The largest relative error over the value and the gradient, and where it is."""
    fields = ["data", *(f"x{i}.grad" for i in range(len(want) - 1))]
    return max((relative_error(g, w), field) for g, w, field in zip(got, want, fields, strict=True))


def describe(got, want) -> str:
    return f"engine: {got!r}\ntorch:  {want!r}"


# --- the corpus as a whole ------------------------------------------------------------------


def test_the_corpus_has_enough_engines_of_every_kind():
    assert len(BUGGY) >= 14
    assert len(CORRECT) >= 3
    assert {engine.kind for engine in catalog.ENGINES} == set(catalog.KINDS)
    # The catalog is sorted and has one record per module.
    names = [engine.name for engine in catalog.ENGINES]
    assert names == sorted(set(names))
    # At least one correct engine lacks some ops, so an oracle's op probing is exercised.
    assert any(supported_calls(catalog.load(e.name)) < set(PROTOCOL) for e in CORRECT)


@pytest.mark.parametrize("engine", catalog.ENGINES, ids=_ids(catalog.ENGINES))
def test_every_engine_documents_itself(engine):
    module = catalog.module(engine.name)
    assert module.__doc__ and len(module.__doc__.split()) >= 30
    assert engine.path.is_file() and engine.path.stem == engine.name
    if engine.expected == "bug":
        assert engine.bug.endswith(".")
        for name in ("WITNESS", "WITNESS_INPUTS", "CONTROL", "CONTROL_INPUTS"):
            assert hasattr(module, name), f"{engine.name} has no {name}"


# --- buggy engines: the witness shows the bug, the control does not ----------------------------


@pytest.mark.parametrize("engine", NUMERIC, ids=_ids(NUMERIC))
def test_the_witness_shows_the_bug(engine):
    module = catalog.module(engine.name)
    got = run_engine(module.Value, module.WITNESS, module.WITNESS_INPUTS)
    want = run_torch(module.WITNESS, module.WITNESS_INPUTS)
    error, field = worst(got, want)
    non_floats = [x for x in got if not isinstance(x, float)]
    if engine.kind == "protocol":
        assert non_floats, f"every field is a float\n{describe(got, want)}"
        return
    assert not non_floats, f"a numeric bug should not break the protocol\n{describe(got, want)}"
    assert error > WITNESS_GAP, f"no difference beyond {WITNESS_GAP}\n{describe(got, want)}"
    low, high = getattr(module, "WITNESS_ERROR", (WITNESS_GAP, math.inf))
    assert low < error <= high, f"{field} is off by {error:.3g}, not within ({low}, {high})"


DEEP = [engine for engine in BUGGY if engine.kind == "deep-graph-crash"]


@pytest.mark.parametrize("engine", DEEP, ids=_ids(DEEP))
def test_the_deep_witness_overflows_the_stack(engine):
    module = catalog.module(engine.name)
    with pytest.raises(RecursionError):
        run_engine(module.Value, module.WITNESS, module.WITNESS_INPUTS)


HANGS = [engine for engine in BUGGY if engine.kind == "hang"]

# Runs an engine's witness in a fresh interpreter under a SIGALRM time limit, the way an oracle
# would, and prints whether the alarm interrupted it. A subprocess, so that if the loop could
# not be interrupted the test would fail on its timeout instead of hanging the test session.
_HANG_SCRIPT = """
import importlib.util, os, signal, sys, textwrap

path, seconds = sys.argv[1], float(sys.argv[2])
spec = importlib.util.spec_from_file_location("engine_under_test", path)
engine = importlib.util.module_from_spec(spec)
sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # for sibling imports (_template)
spec.loader.exec_module(engine)
namespace = {}
exec(textwrap.dedent(engine.WITNESS), namespace)


def interrupt(signum, frame):
    raise TimeoutError


signal.signal(signal.SIGALRM, interrupt)
signal.setitimer(signal.ITIMER_REAL, seconds)
try:
    namespace["f"](*(engine.Value(x) for x in engine.WITNESS_INPUTS)).backward()
except TimeoutError:
    print("interrupted")
else:
    print("finished")
"""


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
@pytest.mark.parametrize("engine", HANGS, ids=_ids(HANGS))
def test_the_hang_witness_runs_until_interrupted(engine):
    command = [sys.executable, "-c", _HANG_SCRIPT, str(engine.path), str(HANG_SECONDS)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS + 20)
    assert result.stdout.strip() == "interrupted", result.stdout + result.stderr


@pytest.mark.parametrize("engine", BUGGY, ids=_ids(BUGGY))
def test_the_control_is_computed_correctly(engine):
    module = catalog.module(engine.name)
    got = run_engine(module.Value, module.CONTROL, module.CONTROL_INPUTS)
    want = run_torch(module.CONTROL, module.CONTROL_INPUTS)
    error, field = worst(got, want)
    assert error <= AGREEMENT, f"{field} is off by {error:.3g}\n{describe(got, want)}"


SHALLOW = [e for e in catalog.ENGINES if e.kind != "deep-graph-crash"]
ADD_MUL_CHAIN = """
def f(x0):
    v = x0
    for _ in range(3000):
        v = v * 0.9 + x0
    return v
"""


@pytest.mark.parametrize("engine", SHALLOW, ids=_ids(SHALLOW))
def test_every_other_engine_survives_a_deep_chain(engine):
    # Whatever else is wrong, only the deep-graph-crash engines may fail for depth alone.
    run_engine(catalog.load(engine.name), ADD_MUL_CHAIN, (0.3,))


# --- correct engines: agreement with torch on every op they support ---------------------------

# Everything a program may call on a value, as Python looks it up.
PROTOCOL = (
    *("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__"),
    *("__truediv__", "__rtruediv__", "__pow__", "__neg__", "__abs__"),
    *("relu", "tanh", "exp", "log", "sigmoid", "sin", "cos", "sqrt"),
)

PROGRAMS = {
    "arithmetic_with_constants_on_both_sides": (
        """
        def f(x0, x1, x2):
            v3 = x0 * x1 + 2.0 * x2 - x0 / 3.0
            v4 = 1.5 - v3 + (v3 - 0.25) * 4.0 + (0.5 + x2) - (-x1)
            return v4 * 1.25 / x1 + 3.0 / v4 - 2.0 * (x0 / x2)
        """,
        (1.7, -0.6, 2.9),
    ),
    "fan_out": (
        """
        def f(x0, x1):
            v2 = x0 * x1 - 0.3
            v3 = v2 * x0 + v2 / x1 - v2 * 2.0
            v4 = v3 * v2 + v2 + x0 * v3
            return v4 * v2 - v3 / v4 + x1
        """,
        (1.3, 0.8),
    ),
    "self_operands": (
        """
        def f(x0, x1):
            v2 = x0 * x0 + x1 + x1
            v3 = v2 / v2 + v2 * v2 - (x1 - x1) + (v2 - v2) * x0
            return v3 * v3 + x0 ** 3.0 * x0 + (-x1) * (-x1)
        """,
        (0.9, 0.45),
    ),
    "powers": (
        """
        def f(x0, x1):
            v2 = x0 ** 2.0 + x0 ** 3.0 + x0 ** -1.0 + x0 ** 0.5 + x0 ** -2.0 + x0 ** 1.5
            v3 = x0 ** 4.0 + x0 ** -0.5 + x0 ** 2.5 + x0 ** 1.0 + x0 ** 0.0 + x0 ** -3.0
            v4 = x1 ** 2 + x1 ** 3.0 + x1 ** -1.0 + x1 ** -2 + (x0 * x1) ** 2.0
            return v2 * v3 + v4
        """,
        (1.3, -0.7),
    ),
    "relu_on_both_sides_of_zero": (
        """
        def f(x0, x1):
            return (x0 * x1).relu() + (x0 - x1).relu() * x0 + (x1 * 3.0).relu() + (-x1).relu()
        """,
        (1.2, -0.7),
    ),
    "unused_leaf": (
        """
        def f(x0, x1, x2):
            return x0 * 3.0 + x2
        """,
        (0.5, 1.5, -2.0),
    ),
    "smooth_functions_with_fan_out": (
        """
        def f(x0, x1):
            v2 = x0 * x1
            v3 = v2.tanh() + v2.exp() * v2.sigmoid()
            v4 = (v3 * v3).log() + v2.sin() * v2.cos() + abs(v2 - 5.0).sqrt()
            return v4 * v3 + (-v4).exp().tanh() + abs(v3)
        """,
        (0.8, 1.1),
    ),
    "magnitudes_from_1e-3_to_1e3": (
        """
        def f(x0, x1, x2):
            v3 = (x0 * 300.0).sin() + (x0 * 700.0).cos() + (x1 * 0.001).exp()
            v4 = (x2 * 1000.0).log() + (x2 * 0.001).sqrt() + (x1 * 2.0).tanh()
            v5 = (x0 * -30.0).sigmoid() + (x0 * -800.0).sigmoid() + abs(x1 * -1000.0)
            return v3 * v4 + v5
        """,
        (1.0, 0.7, 0.002),
    ),
    # Values the output does not use, built before and after it: separate subgraphs that are
    # joined (and, in a tape engine, moved onto a bigger graph's tape) after the fact.
    "dead_code_and_values_built_after_the_output": (
        """
        def f(x0, x1, x2):
            a = (x0 * x1).tanh()
            b = (x2 * 2.0).exp()
            unused = a + b * x0
            c = b.sin() * x2 + a
            g = (x1 * 3.0).sigmoid()
            for _ in range(20):
                g = (g * 1.1).tanh() + 0.5
            later = c + g + unused
            return c
        """,
        (0.6, -1.2, 0.4),
    ),
    "deep_chain_with_fan_out": (
        """
        def f(x0, x1):
            v = x0
            for _ in range(5000):
                v = (v * 0.9 + x1).relu() * 0.5 + x0 / (v + 2.0)
            return v
        """,
        (0.5, 0.3),
    ),
    "deep_tanh_chain": (
        """
        def f(x0):
            v = x0
            for _ in range(5000):
                v = (v * 0.9).tanh() + x0
            return v
        """,
        (0.3,),
    ),
}


class _Recorder:
    """Stands in for a value and notes which protocol calls a program makes."""

    def __init__(self, calls: set):
        self.calls = calls


def _recording(name):
    def call(self, *args):
        self.calls.add(name)
        return _Recorder(self.calls)

    return call


for _name in PROTOCOL:
    setattr(_Recorder, _name, _recording(_name))


@functools.cache
def calls_made(program: str) -> frozenset:
    source, inputs = PROGRAMS[program]
    calls: set = set()
    compile_program(source)(*(_Recorder(calls) for _ in inputs))
    return frozenset(calls)


def supported_calls(value_class) -> set:
    return {name for name in PROTOCOL if hasattr(value_class, name)}


def _runnable():
    """(engine, program) for every correct engine and every program it has the ops for."""
    pairs = []
    for engine in CORRECT:
        supported = supported_calls(catalog.load(engine.name))
        pairs += [
            pytest.param(engine, program, id=f"{engine.name}-{program}")
            for program in PROGRAMS
            if calls_made(program) <= supported
        ]
    return pairs


@pytest.mark.parametrize(("engine", "program"), _runnable())
def test_correct_engines_agree_with_torch(engine, program):
    source, inputs = PROGRAMS[program]
    got = run_engine(catalog.load(engine.name), source, inputs)
    want = run_torch(source, inputs)
    error, field = worst(got, want)
    assert error <= AGREEMENT, f"{field} is off by {error:.3g}\n{describe(got, want)}"


# The buggy engines' template, whose code is everything in them but the planted bug, is checked
# like a correct engine.


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_template_of_the_buggy_engines_agrees_with_torch(program):
    source, inputs = PROGRAMS[program]
    got = run_engine(catalog.load("_template"), source, inputs)
    want = run_torch(source, inputs)
    error, field = worst(got, want)
    assert error <= AGREEMENT, f"{field} is off by {error:.3g}\n{describe(got, want)}"


def test_the_buggy_engines_subclass_the_template():
    # They import it as the sibling module ``_template``, a module of its own.
    for engine in BUGGY:
        [base] = catalog.load(engine.name).__bases__
        assert (base.__module__, base.__name__) == ("_template", "Value"), engine.name
    assert supported_calls(catalog.load("_template")) == set(PROTOCOL)


@pytest.mark.parametrize("engine", CORRECT, ids=_ids(CORRECT))
def test_the_programs_cover_every_op_a_correct_engine_supports(engine):
    supported = supported_calls(catalog.load(engine.name))
    covered = set().union(*(calls_made(p) for p in PROGRAMS if calls_made(p) <= supported))
    assert supported <= covered, f"never run: {sorted(supported - covered)}"
    assert {"__add__", "__sub__", "__mul__"} <= supported  # what the oracle requires
