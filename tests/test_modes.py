"""Every mode through the one door: eager, static, compiled and batched agree.

``value_and_grad(f, mode=...)`` is the same call in every mode; batched takes arrays of points
and returns arrays. Compiled and batched code is generated from the optimised gradient graph.
"""

from __future__ import annotations

import linecache
import math
import sys
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import refgrad
from tests.floats import same_float
from tests.programs import points, programs

SCALAR_MODES = ("eager", "static", "compiled")


def in_mode(f, mode, *point):
    """value_and_grad in any mode at one point, as floats (batched runs a batch of one)."""
    if mode != "batched":
        return refgrad.value_and_grad(f, mode=mode)(*point)
    value, gradient = refgrad.value_and_grad(f, mode="batched")(*[np.array([x]) for x in point])
    return float(value[0]), float(gradient[0])


@pytest.mark.parametrize("mode", [*SCALAR_MODES, "batched"])
def test_ieee_safety_after_optimisation(mode):
    assert math.isnan(in_mode(lambda x: x * 0.0, mode, math.inf)[0])
    value = in_mode(lambda x: x + 0.0, mode, -0.0)[0]
    assert same_float(value, 0.0)
    assert math.isnan(in_mode(lambda x: x - x, mode, math.nan)[0])


@pytest.mark.parametrize("mode", [*SCALAR_MODES, "batched"])
def test_control_flow_gives_eager_results_at_both_points(mode):
    def f(x):
        return x * 2 if x > 0 else x * x * x

    for point in (3.0, -3.0):
        assert in_mode(f, mode, point) == refgrad.value_and_grad(f)(point)


def test_the_issue_example_reading_data_falls_back_to_eager_when_compiled():
    def f(x):
        return x * 2 if x.data > 0 else x * x * x

    compiled = refgrad.compile(f)
    with pytest.warns(refgrad.TraceEscapeWarning):
        assert compiled(3.0) == (6.0, 2.0)
    assert compiled(-3.0) == (-27.0, 27.0)


def test_compiled_source_can_be_printed_and_shows_in_tracebacks():
    compiled = refgrad.compile(lambda x, y: (x * y).tanh() + y.exp(), argnums=(0, 1))
    assert compiled(0.5, 2.0) == refgrad.value_and_grad(
        lambda x, y: (x * y).tanh() + y.exp(), argnums=(0, 1)
    )(0.5, 2.0)
    (source,) = compiled.sources()
    assert source.startswith("def compiled(x0, x1):")
    run = compiled.runner.specialisations
    (entries,) = run.values()
    filename = entries[0][1].filename
    assert linecache.getline(filename, 1).startswith("def compiled")


def test_specialisations_are_cached_per_path():
    compiled = refgrad.compile(lambda x: x * 2 if x > 0 else x * x * x)
    for point in (1.0, 2.0, -1.0, -2.0, 3.0):
        compiled(point)
    (entries,) = compiled.runner.specialisations.values()
    assert len(entries) == 2  # one per branch, not one per call


def test_batched_mode_takes_arrays_and_covers_every_path():
    def f(x, y):
        return (x * y).tanh() + y**x if x > 0.3 else x * y * y

    xs, ys = np.linspace(-1, 1, 101), np.linspace(0.5, 3.0, 101)
    value, (dx, dy) = refgrad.value_and_grad(f, argnums=(0, 1), mode="batched")(xs, ys)
    eager = refgrad.value_and_grad(f, argnums=(0, 1))
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        expected_value, (expected_dx, expected_dy) = eager(float(x), float(y))
        # NumPy's SIMD tanh may differ from math.tanh by an ulp or two (tests/test_codegen.py)
        assert value[i] == pytest.approx(expected_value, rel=1e-14, abs=1e-300)
        assert dx[i] == pytest.approx(expected_dx, rel=1e-13, abs=1e-300)
        assert dy[i] == pytest.approx(expected_dy, rel=1e-13, abs=1e-300)


def test_batched_mode_reading_data_warns_once_at_the_caller_and_runs_eagerly():
    def f(x):
        return x * 2 if x.data > 0 else x * x * x

    batched = refgrad.value_and_grad(f, mode="batched")
    with pytest.warns(refgrad.TraceEscapeWarning, match="point by point") as caught:
        value, gradient = batched(np.array([3.0, -3.0]))
    assert [warning.filename for warning in caught] == [__file__]
    assert value.tolist() == [6.0, -27.0] and gradient.tolist() == [2.0, 27.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # escaped once: no second warning
        assert batched(np.array([-1.0]))[1].tolist() == [3.0]


def test_batched_mode_rejects_bad_batches():
    vg = refgrad.value_and_grad(lambda x, y: x * y, argnums=(0, 1), mode="batched")
    with pytest.raises(ValueError, match="one length"):
        vg(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="1-D array"):
        vg(np.zeros((2, 2)), np.zeros(4))


@given(st.data())
def test_all_modes_agree_with_eager_on_random_programs(data):
    program = data.draw(programs())
    point = data.draw(points(program.n_inputs))
    argnums = tuple(range(program.n_inputs))

    def f(*xs):
        return program.run(xs)

    expected_value, expected_gradients = refgrad.value_and_grad(f, argnums=argnums)(*point)
    for mode in ("static", "compiled"):
        value, gradients = refgrad.value_and_grad(f, argnums=argnums, mode=mode)(*point)
        assert same_float(value, expected_value), (mode, str(program))
        for got, expected in zip(gradients, expected_gradients, strict=True):
            # Optimisations may merge repeated subexpressions and reorder gradient sums.
            close = got == pytest.approx(expected, rel=1e-12, abs=1e-300)
            assert same_float(got, expected) or close, (mode, str(program))
    batch = [np.array([x]) for x in point]
    value, gradients = refgrad.value_and_grad(f, argnums=argnums, mode="batched")(*batch)
    assert same_float(float(value[0]), expected_value) or float(value[0]) == pytest.approx(
        expected_value, rel=1e-13
    ), str(program)
    for got, expected in zip(gradients, expected_gradients, strict=True):
        got = float(got[0])
        assert same_float(got, expected) or got == pytest.approx(expected, rel=1e-12, abs=1e-300), (
            "batched",
            str(program),
        )


# The passes= option: the graph modes with a chosen optimisation (oracle passes uses it).

PASS_CHOICES = (
    (),
    ("simplify",),
    ("fold",),
    ("cse",),
    ("dce",),
    ("simplify", "fold", "cse", "dce"),
)


@given(st.data())
def test_every_choice_of_passes_gives_the_default_results_bit_for_bit(data):
    program = data.draw(programs())
    point = data.draw(points(program.n_inputs))
    argnums = tuple(range(program.n_inputs))

    def f(*xs):
        return program.run(xs)

    for mode in ("static", "compiled"):
        value, gradients = refgrad.value_and_grad(f, argnums=argnums, mode=mode)(*point)
        for passes in PASS_CHOICES:
            got = refgrad.value_and_grad(f, argnums=argnums, mode=mode, passes=passes)(*point)
            assert same_float(got[0], value), (mode, passes, str(program))
            for other, expected in zip(got[1], gradients, strict=True):
                assert same_float(other, expected), (mode, passes, str(program))


def test_passes_chooses_the_graph_the_compiled_mode_generates():
    def f(x):
        return x * 1.0 + 0.0

    unoptimised = refgrad.value_and_grad(f, mode="compiled", passes=())
    unoptimised(2.0)
    assert "* 1.0" in unoptimised.runner.sources()[0]
    simplified = refgrad.value_and_grad(f, mode="compiled", passes=("simplify",))
    simplified(2.0)
    assert "* 1.0" not in simplified.runner.sources()[0]
    batched = refgrad.value_and_grad(f, mode="batched", passes=())
    assert batched(np.array([-0.0]))[0][0] == 0.0


def test_passes_is_checked():
    with pytest.raises(ValueError, match="mode='eager' builds none"):
        refgrad.value_and_grad(lambda x: x, passes=())
    with pytest.raises(ValueError, match=r"unknown pass 'cxe'.*simplify, fold, cse, dce"):
        refgrad.value_and_grad(lambda x: x, mode="static", passes=("cxe",))
    with pytest.raises(TypeError, match="sequence of pass names"):
        refgrad.value_and_grad(lambda x: x, mode="static", passes="cse")


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def _from_depth(extra_frames: int, call):
    return call() if extra_frames == 0 else _from_depth(extra_frames - 1, call)


@pytest.mark.parametrize("mode", ["static", "compiled", "batched"])
def test_the_build_runs_on_a_frame_stack_of_its_own(mode, monkeypatch):
    # (modes._on_fresh_stack: CPython 3.11's frame-stack chunks made a build's speed depend
    # on the caller's depth.) Called from any depth, the build sees the same stack.
    seen = []
    gradient_graph = refgrad.modes.gradient_graph

    def recording(traced, passes=None):
        seen.append((_stack_depth(), threading.current_thread() is threading.main_thread()))
        return gradient_graph(traced, passes)

    monkeypatch.setattr(refgrad.modes, "gradient_graph", recording)
    point = (np.array([1.5]),) if mode == "batched" else (1.5,)
    for depth in (0, 40):
        _from_depth(depth, lambda: refgrad.value_and_grad(lambda x: x * x, mode=mode)(*point))
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[0][1] is False  # not the caller's thread


def test_an_error_in_the_build_reaches_the_caller_as_raised(monkeypatch):
    def failing(traced, passes=None):
        raise refgrad.graph.GraphError("the build failed")

    monkeypatch.setattr(refgrad.modes, "gradient_graph", failing)
    with pytest.raises(refgrad.graph.GraphError, match="the build failed") as raised:
        refgrad.value_and_grad(lambda x: x * x, mode="compiled")(1.5)
    assert raised.traceback[-1].name == "failing"  # its own traceback, not a new one
