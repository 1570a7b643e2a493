"""Eager forward + backward of a seeded random DAG: refgrad against published micrograd.

The same workload (same DAG, same inputs, same Python source) runs on every engine in the same
session. ``python -m benchmarks.eager`` prints the ratios to micrograd and the growth of the
time per node from 1,000 to 100,000 nodes.
"""

from __future__ import annotations

import gc
import math
import statistics
import time

import pytest

import refgrad
from benchmarks.workloads import random_dag

micrograd_engine = pytest.importorskip("micrograd.engine")

SIZES = (1_000, 100_000)
INTERLEAVED_ROUNDS = {1_000: 200, 100_000: 6}


def _micrograd(workload):
    return lambda: [leaf.grad for leaf in workload.forward_backward(micrograd_engine.Value)]


def _refgrad_value(workload):
    return lambda: [leaf.grad for leaf in workload.forward_backward(refgrad.Value)]


def _refgrad_value_collector_paused(workload):
    def run():
        with refgrad.collector_paused():
            return [leaf.grad for leaf in workload.forward_backward(refgrad.Value)]

    return run


def _refgrad_functional(workload):
    gradient = refgrad.grad(workload.forward, argnums=tuple(range(len(workload.inputs))))
    return lambda: list(gradient(*workload.inputs))


ENGINES = {
    "micrograd": _micrograd,
    # micrograd-style code: build with Value, call .backward(), read .grad
    "refgrad Value": _refgrad_value,
    # the same code inside `with refgrad.collector_paused():`
    "refgrad Value, collector paused": _refgrad_value_collector_paused,
    # refgrad.grad(f, mode="eager"), which pauses the garbage collector (see refgrad/api.py)
    "refgrad grad": _refgrad_functional,
}


@pytest.fixture(scope="module")
def workloads():
    return {size: random_dag(size, seed=0) for size in SIZES}


@pytest.fixture(scope="module")
def expected_gradients(workloads):
    """micrograd's gradients, the yardstick every engine's result is checked against."""
    return {size: _micrograd(workload)() for size, workload in workloads.items()}


@pytest.mark.parametrize("size", SIZES)
def test_engines_interleaved(benchmark, size, workloads, expected_gradients):
    """Every engine once per round, in rotating order, each timed on its own.

    This machine's speed drifts in spells of a fraction of a second, which skews ratios
    between benchmarks taken minutes apart. Engines timed within one round share the spell,
    so the ratios of their medians hold; ``python -m benchmarks.eager`` reports these.

    Before each timed call the garbage collector runs, untimed, so that no engine pays for
    the reference cycles another left behind (micrograd leaves one per node). That also
    spares micrograd the cost of collecting its own cycles: its times here are a lower bound,
    and refgrad's ratios to it are conservative.
    """
    workload = workloads[size]
    runners = {name: make(workload) for name, make in ENGINES.items()}
    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, list[float]] = {}
    rounds_done = [0]

    def one_round():
        start = rounds_done[0] % len(names)
        for name in names[start:] + names[:start]:
            gc.collect()
            began = time.perf_counter()
            results[name] = runners[name]()
            times[name].append(time.perf_counter() - began)
        rounds_done[0] += 1

    gc.collect()  # start from a clean heap
    benchmark.group = f"all engines interleaved, {size} nodes"
    benchmark.pedantic(one_round, rounds=INTERLEAVED_ROUNDS[size], warmup_rounds=1)
    measured = {name: samples[1:] or samples for name, samples in times.items()}  # no warm-up
    benchmark.extra_info.update(
        engine="interleaved",
        nodes=size,
        workload=workload.name,
        interleaved={
            name: {
                "min": min(samples),
                "median": statistics.median(samples),
                "rounds": len(samples),
            }
            for name, samples in measured.items()
        },
    )
    for name, gradients in results.items():
        for got, expected in zip(gradients, expected_gradients[size], strict=True):
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), (name, got, expected)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("engine", list(ENGINES))
def test_random_dag_forward_backward(benchmark, engine, size, workloads, expected_gradients):
    workload = workloads[size]
    assert callable(workload.forward)  # compiles the workload outside the timing
    benchmark.group = f"random DAG, {size} nodes"
    benchmark.extra_info.update(engine=engine, nodes=size, workload=workload.name)
    gradients = benchmark(ENGINES[engine](workload))
    # Engines may sum fan-out contributions in different orders: equal up to rounding.
    for got, expected in zip(gradients, expected_gradients[size], strict=True):
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), (got, expected)
