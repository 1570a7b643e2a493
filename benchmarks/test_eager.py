"""Eager forward + backward of a seeded random DAG: refgrad against published micrograd.

The same workload (same DAG, same inputs, same Python source) runs on every engine in the same
session. ``python -m benchmarks.eager`` prints the ratios to micrograd and the growth of the
time per node from 1,000 to 100,000 nodes.
"""

from __future__ import annotations

import math

import pytest

import refgrad
from benchmarks.workloads import random_dag

micrograd_engine = pytest.importorskip("micrograd.engine")

SIZES = (1_000, 100_000)


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
