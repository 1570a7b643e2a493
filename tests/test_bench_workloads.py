"""The benchmark workloads (benchmarks/workloads.py) and the suite's budgets
(benchmarks/presets.py): exact sizes, the shapes they promise, and the same gradients on
every engine they are written for."""

from __future__ import annotations

import hashlib
import itertools
import math

import pytest

import refgrad
from benchmarks import presets
from benchmarks.presets import Cost
from benchmarks.workloads import WORKLOADS, deep_chain, mlp, mlp_shape, random_dag, wide_sum


def test_random_dag_is_frozen():
    # Committed reports were measured on these exact programs: random_dag must not change.
    source = random_dag(1_000, seed=0).source
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "91e7d38fa4ca9e7a"
    assert random_dag(1_000).inputs[:2] == (0.9582582928465224, -0.8827744372630459)


@pytest.mark.parametrize("generator", [deep_chain, wide_sum, random_dag])
@pytest.mark.parametrize("size", [10, 11, 12, 100, 1_001])
def test_workloads_have_exactly_the_nodes_asked_for(generator, size):
    workload = generator(size)
    assert workload.n_nodes == size
    assert workload.source.count("\n    v") == size  # one line per op node


@pytest.mark.parametrize("size", [10, 100, 1_000, 10_000, 100_000])
def test_the_mlp_is_within_one_layer_width_of_its_size(size):
    features, width = mlp_shape(size)
    workload = mlp(size)
    assert abs(workload.n_nodes - size) <= width
    parameters = width * (features + 1) + width * (width + 1) + width + 1
    assert len(workload.inputs) == parameters


def test_the_deep_chain_reads_the_newest_value_at_every_step():
    workload = deep_chain(200)
    lines = workload.source.splitlines()[1:-1]
    for previous, line in itertools.pairwise(lines):
        newest = previous.split("=")[0].strip()
        assert line.split("=")[1].split()[0].startswith(newest), line


def test_the_wide_sum_is_shallow():
    workload = wide_sum(10_000)
    depth = {f"v{i}": 0 for i in range(len(workload.inputs))}
    for line in workload.source.splitlines()[1:-1]:
        name, expression = (part.strip() for part in line.split("="))
        operands = [word.split(".")[0] for word in expression.split() if word.startswith("v")]
        depth[name] = 1 + max(depth[operand] for operand in operands)
    assert max(depth.values()) <= 2 + math.ceil(math.log2(10_000)) + 2


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_micrograd_and_refgrad_agree_on_every_workload(name):
    engine = pytest.importorskip("micrograd.engine")
    workload = WORKLOADS[name](100)
    expected = refgrad.grad(workload.forward, argnums=tuple(range(len(workload.inputs))))(
        *workload.inputs
    )
    leaves = workload.forward_backward(engine.Value)
    for leaf, want in zip(leaves, expected, strict=True):
        assert math.isclose(leaf.grad, want, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_forward_with_a_relu_function_computes_the_same(name):
    workload = WORKLOADS[name](100)
    argnums = tuple(range(len(workload.inputs)))
    value, _ = refgrad.value_and_grad(workload.forward, argnums)(*workload.inputs)
    assert workload.forward_with_relu(lambda x: max(x, 0.0))(*workload.inputs) == value


def test_a_batch_starts_at_the_workload_point():
    pytest.importorskip("numpy")
    workload = random_dag(100)
    arrays = workload.batch(50)
    assert [array[0] for array in arrays] == list(workload.inputs)
    assert all(len(array) == 50 for array in arrays)


def test_sizes_below_the_smallest_are_refused():
    with pytest.raises(ValueError, match="at least 10"):
        mlp(9)
    with pytest.raises(ValueError, match="at least 2"):
        wide_sum(1)


# --- budgets ----------------------------------------------------------------------------------


def test_a_peer_over_its_compile_budget_is_skipped_with_the_extrapolated_cost():
    costs = [Cost(100, run=0.001, compile=1.2)]
    skipped = presets.FULL.skip("jax.jit", 10_000, costs)
    assert skipped["status"] == "over budget (extrapolated >= 120 s > 60 s to compile)"
    assert skipped["estimate"] == {"compile": pytest.approx(120.0)}
    assert presets.FULL.skip("jax.jit", 1_000, costs) is None  # 12 s: within 60 s


def test_a_peer_over_its_call_budget_is_skipped():
    skipped = presets.FULL.skip("jax eager", 100_000, [Cost(10_000, run=5.0)])
    assert skipped["status"] == "over budget (extrapolated >= 50.0 s > 10 s per call)"


def test_refgrad_and_micrograd_are_never_skipped_for_cost():
    costs = [Cost(10, run=100.0, compile=100.0)]
    for engine in ("refgrad compiled", "micrograd"):
        assert presets.FULL.skip(engine, 100_000, costs) is None


def test_without_a_smaller_size_measured_a_peer_runs():
    assert presets.FULL.skip("torch.compile", 1_000, []) is None


def test_the_check_preset_caps_jax_jit_at_its_smallest_size():
    assert presets.CHECK.skip("jax.jit", 100, [])["status"].startswith("not run")
    assert "torch.compile" not in presets.CHECK.engines


def test_an_unknown_preset_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown benchmark preset 'fast'"):
        presets.chosen("fast", benchmarks_enabled=True)
