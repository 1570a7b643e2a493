"""Static, compiled and batched modes against eager refgrad and published micrograd.

Same seeded random DAG as the eager benchmark. Each round times every engine once, in rotating
order, so all share this noisy machine's load (see test_eager.py), from a stack depth that
changes from round to round (``_depth``). CPython 3.11 maps a fresh frame-stack chunk on every
call whose frame does not fit in the current one (see ``benchmarks.timing.at_depth``), and for
a big frame the unlucky depths are a wide band: the compiled 1,000-node function has 534
locals, a 4.4 KB frame, slower by some 12 us per call at about a quarter of all depths
(measured at depths 0-400), a band that five consecutive depths can fall in entirely.

Compile time (trace, optimise, generate code) is timed separately from run time, on fresh
functions (the median of a few first calls), and the memory plan's peak live slots are
recorded against the node count.
``python -m benchmarks.modes`` runs this and writes reports/modes/summary.md.
"""

from __future__ import annotations

import functools
import math
import statistics

import numpy as np
import pytest

import refgrad
from benchmarks.timing import DEPTH_STRIDE
from benchmarks.timing import at_depth as _at_depth
from benchmarks.timing import timed as _timed
from benchmarks.workloads import random_dag

micrograd_engine = pytest.importorskip("micrograd.engine")

SIZES = (1_000, 100_000)
ROUNDS = {1_000: 100, 100_000: 3}
# First calls timed per mode, the median kept. Compiling makes Python calls at many depths, so
# it too has unlucky depths (measured, 1,000 nodes: 2x slower at 116-124, 1.3x at 48-64): the
# first calls are spread evenly over DEPTH_SPAN, and there are enough for the median to be a
# typical depth's. At 100,000 nodes, three: one let a slow spell of this machine decide.
COMPILE_REPEATS = {1_000: 9, 100_000: 3}
BATCH_POINTS = 10_000
BATCH_SIZES = (1_000,)  # 100,000 nodes x 10,000 points would take minutes per call
# Depths spread over a whole 16 KB frame-stack chunk: the slow band for the compiled function
# recurs every 132-136 depths (measured: `at_depth` frames are about 120 bytes), so 136 depths
# span one chunk, and strides of 13 (coprime to 136) visit them all in turn.
DEPTH_SPAN = 136


def _depth(round_index: int) -> int:
    """The extra stack depth a round runs at."""
    return round_index * DEPTH_STRIDE % DEPTH_SPAN


@pytest.mark.parametrize("size", SIZES)
def test_modes_interleaved(benchmark, size):
    workload = random_dag(size, seed=0)
    argnums = tuple(range(len(workload.inputs)))
    compile_seconds, runners = {}, {}
    # Not timing (pytest-benchmark is off under xdist, as in CI): one compile per mode checks it.
    repeats = 1 if benchmark.disabled else COMPILE_REPEATS[size]
    for mode in ("static", "compiled"):
        samples = []
        for repeat in range(repeats):  # each on a fresh function: a first call
            runner = refgrad.value_and_grad(workload.forward, argnums=argnums, mode=mode)
            first_call = functools.partial(_timed, lambda runner=runner: runner(*workload.inputs))
            depth = repeat * DEPTH_SPAN // repeats
            samples.append(_at_depth(depth, first_call)[0])
        compile_seconds[mode] = statistics.median(samples)
        runners[mode] = runner
    eager = refgrad.value_and_grad(workload.forward, argnums=argnums)
    engines = {
        "micrograd": lambda: workload.forward_backward(micrograd_engine.Value),
        "refgrad eager (grad)": lambda: eager(*workload.inputs),
        "refgrad static": lambda: runners["static"](*workload.inputs),
        "refgrad compiled": lambda: runners["compiled"](*workload.inputs),
    }
    names = list(engines)
    times: dict[str, list[float]] = {name: [] for name in names}
    rounds_done = [0]

    def one_round():
        start = rounds_done[0] % len(names)
        depth = _depth(rounds_done[0])
        for name in names[start:] + names[:start]:
            times[name].append(_at_depth(depth, lambda name=name: _timed(engines[name])[0]))
        rounds_done[0] += 1

    benchmark.group = f"modes interleaved, {size} nodes"
    benchmark.pedantic(one_round, rounds=ROUNDS[size], warmup_rounds=1)
    (entries,) = runners["compiled"].runner.specialisations.values()
    plan = entries[0][1].plan
    benchmark.extra_info.update(
        engine="modes",
        nodes=size,
        workload=workload.name,
        medians={
            name: statistics.median(samples[1:] or samples) for name, samples in times.items()
        },
        compile_seconds=compile_seconds,
        peak_live_slots=plan.slot_count,
        graph_nodes=plan.node_count,
    )
    expected = eager(*workload.inputs)
    for mode in ("static", "compiled"):
        value, gradients = runners[mode](*workload.inputs)
        assert value == expected[0]
        for got, want in zip(gradients, expected[1], strict=True):
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_batched_throughput(benchmark, size):
    workload = random_dag(size, seed=0)
    argnums = tuple(range(len(workload.inputs)))
    generator = np.random.default_rng(0)
    points = [generator.uniform(-1.0, 1.0, BATCH_POINTS) for _ in argnums]
    batched = refgrad.value_and_grad(workload.forward, argnums=argnums, mode="batched")
    compile_seconds, _ = _timed(lambda: batched(*points))
    benchmark.group = f"batched, {size} nodes x {BATCH_POINTS} points"
    value, gradients = benchmark.pedantic(lambda: batched(*points), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(
        engine="batched", nodes=size, points=BATCH_POINTS, compile_seconds=compile_seconds
    )
    eager = refgrad.value_and_grad(workload.forward, argnums=argnums)
    for index in (0, BATCH_POINTS // 2, BATCH_POINTS - 1):
        expected_value, expected_gradients = eager(*[float(p[index]) for p in points])
        assert math.isclose(value[index], expected_value, rel_tol=1e-12, abs_tol=1e-300)
        for got, want in zip(gradients, expected_gradients, strict=True):
            assert math.isclose(got[index], want, rel_tol=1e-9, abs_tol=1e-12)
