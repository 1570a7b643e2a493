"""The benchmark suite: every workload at every size on every engine, in interleaved rounds.

``python -m benchmarks.suite`` runs this file in a fresh process (preset ``full``, or
``--quick``) and renders the report from the pytest-benchmark JSON it writes. Under
``--benchmark-disable`` (as in CI) the ``check`` preset runs each case once at small sizes:
the suite is then a test that every engine computes refgrad eager's gradients.

A case is one workload at one size (``test_case``):

1. Prepare every engine. Engines that compile do it now, timed apart from running: the
   median of a few fresh compiles (fewer if compiling is slow), each from a shifted stack
   depth. A peer whose cost would exceed its budget (presets.py) is not run, and the case
   says so.
2. Run each engine once, untimed: its gradients are checked against refgrad eager's, its
   peak resident memory is measured, and its time sizes the samples and the rounds.
3. Time rounds in which every engine runs once, in rotating order, from a stack depth that
   shifts every round (``timing.at_depth``), so that all engines share whatever else this
   noisy machine does: only ratios measured in the same rounds mean anything. An engine's
   time is its median over the rounds.

Before each timed sample the garbage collector runs, untimed, and everything alive when the
rounds start is frozen out of its reach (``gc.freeze``): no engine pays for objects other
engines hold (compiled graphs, torch's and JAX's modules) or left behind (micrograd leaves a
reference cycle per node). micrograd still pays for collecting its own graph while it builds
it, as it would in a program of its own.

``test_oracle_throughput`` runs one fixed, seeded oracle campaign per target and records the
points per second of the target and of every reference.
"""

from __future__ import annotations

import functools
import gc
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from benchmarks import engines, presets
from benchmarks.engines import BASELINE, ENGINES, REFERENCE, Engine, Ready
from benchmarks.presets import Cost, Preset
from benchmarks.timing import ResidentPeak, at_depth, depth_of_round, process_peak, timed
from benchmarks.workloads import WORKLOADS, Workload

SUITE = "refgrad-bench-suite/1"  # extra_info["suite"] marks the records the report reads
RELATIVE_TOLERANCE = 1e-9  # engines may add fan-out contributions in different orders
MAX_LOOPS = 1_000  # calls per timed sample, at most

ORACLE_PROTOCOLS = {
    "refgrad": "value protocol",
    "refgrad-compiled": "refgrad's modes",
    "micrograd": "value protocol",
    "autograd": "function protocol",
    "mygrad": "tensor protocol",
}


def _load_average() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


_LOAD_BEFORE = _load_average()  # when this module is collected: the start of the run


# (workload, engine) -> its costs at the sizes measured so far in this session.
_measured: dict[tuple[str, str], list[Cost]] = defaultdict(list)


# --- choosing what runs --------------------------------------------------------------------


def _preset(config) -> Preset:
    disabled = config.getoption("benchmark_disable", False) and not config.getoption(
        "benchmark_enable", False
    )
    xdist = config.getoption("dist", "no") != "no" or "PYTEST_XDIST_WORKER" in os.environ
    return presets.chosen(config.getoption("bench_preset", None), not (disabled or xdist))


def pytest_generate_tests(metafunc):
    preset = _preset(metafunc.config)
    if "case" in metafunc.fixturenames:
        cases = preset.cases()
        metafunc.parametrize("case", cases, ids=[f"{w}-{n}" for w, n in cases])
    if "campaign_target" in metafunc.fixturenames:
        metafunc.parametrize("campaign_target", preset.oracle_targets)


@pytest.fixture(scope="session")
def preset(request) -> Preset:
    return _preset(request.config)


def run_facts(config) -> dict[str, object]:
    """What the whole run shares, for the JSON file's ``suite`` entry (see conftest.py)."""
    chosen = _preset(config)
    return {
        "format": SUITE,
        "preset": chosen.name,
        "budgets": chosen.budgets(),
        "batch points": {str(size): points for size, points in presets.BATCH_POINTS.items()},
        "versions": engines.versions(),
        "warm-up seconds": dict(engines.WARM_UP_SECONDS),
        "memory bytes": _total_memory(),
        "load average before": _LOAD_BEFORE,
        "load average after": _load_average(),
        "process peak rss bytes": process_peak(),
    }


def _total_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


# --- one case ------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One engine in one case: the engine, what the report will say of it (``record``), and
    its timed samples."""

    engine: Engine
    record: dict = field(default_factory=lambda: {"status": "ok"})
    ready: Ready | None = None
    loops: int = 1  # calls per timed sample
    samples: list[float] = field(default_factory=list)  # seconds per call

    @property
    def runs(self) -> bool:
        return self.ready is not None and self.record["status"] == "ok"


def test_case(benchmark, case: tuple[str, int], preset: Preset):
    workload_name, size = case
    workload = WORKLOADS[workload_name](size)
    benchmark.group = f"suite: {workload_name}, {size:,} nodes"

    def time_rounds(one_round: Callable[[], None], rounds: int) -> None:
        benchmark.pedantic(one_round, rounds=rounds, iterations=1)

    entries, rounds = time_case(workload, case, preset, time_rounds)
    for name, entry in entries.items():
        _remember_cost(entry, (workload_name, name), size)
    benchmark.extra_info.update(
        suite=SUITE,
        kind="case",
        workload=workload_name,
        size=size,
        nodes=workload.n_nodes,
        inputs=len(workload.inputs),
        label=workload.name,
        rounds=rounds,
        plans=_plans(entries),
        engines={name: entry.record for name, entry in entries.items()},
    )
    problems = [f"{name}: {problem}" for name, e in entries.items() if (problem := _problem(e))]
    assert not problems, "\n".join(problems)


def time_case(
    workload: Workload,
    case: tuple[str, int],
    preset: Preset,
    time_rounds: Callable[[Callable[[], None], int], None],
) -> tuple[dict[str, _Entry], int]:
    """Steps 1 to 3 of the module docstring for one case, every engine of ``preset``:
    ``time_rounds(one_round, rounds)`` times the rounds. The engines' entries, summarised,
    and the number of rounds. (``benchmarks.neighbours`` runs cases this way too.)"""
    entries = {name: _Entry(ENGINES[name]) for name in preset.engines}
    gc.collect()
    gc.freeze()  # torch's and JAX's modules and the like: see the module docstring
    try:
        for entry in entries.values():
            _prepare(entry, workload, case, preset)
        expected = _reference_gradients(entries[REFERENCE])
        for entry in entries.values():
            if entry.runs:
                _first_run(entry, expected, preset)
        timed_entries = [entry for entry in entries.values() if entry.runs]
        rounds = _rounds(timed_entries, preset)
        gc.collect()
        gc.freeze()  # and what the engines made while preparing
        time_rounds(_round_runner(timed_entries), rounds)
    finally:
        gc.unfreeze()
    for entry in entries.values():
        _summarise(entry)
    return entries, rounds


def _costs(engine: str, workload: str) -> list[Cost]:
    """What ``engine`` cost on ``workload`` at the sizes run so far; on any workload if it
    has not run on this one (a case run on its own with ``-k``)."""
    return _measured[(workload, engine)] or [
        cost for (_, name), costs in _measured.items() if name == engine for cost in costs
    ]


def _prepare(entry: _Entry, workload: Workload, case: tuple[str, int], preset: Preset) -> None:
    """Get the engine ready (compiling it if it compiles), or record why it cannot run."""
    engine, record = entry.engine, entry.record
    missing = engine.missing()
    if missing:
        record["status"] = f"not installed (no module {missing!r})"
        return
    skipped = preset.skip(engine.name, case[1], _costs(engine.name, case[0]))
    if skipped:
        record.update(skipped)
        return
    engines.warm_up_once(engine)
    points = presets.BATCH_POINTS[case[1]]
    compile_samples: list[float] = []
    for repeat in range(preset.compile_repeats if engine.compiles else 1):
        with ResidentPeak() as peak:  # each repeat compiles afresh, from another stack depth
            try:
                entry.ready = at_depth(
                    depth_of_round(repeat), lambda: engine.prepare(workload, points)
                )
            except Exception as error:  # a peer's failure is a result, recorded in the report
                record["status"], entry.ready = _failure(error), None
                return
        if entry.ready.compile_seconds is None:
            break
        compile_samples.append(entry.ready.compile_seconds)
        if sum(compile_samples) >= preset.compile_repeat_seconds:
            break
    record["points"] = entry.ready.points
    if compile_samples:
        record["compile"] = _compile_record(engine.name, compile_samples, entry.ready, preset)
        record["compile"]["peak_rss"] = peak.extra


def _compile_record(name: str, samples: list[float], ready: Ready, preset: Preset) -> dict:
    seconds = statistics.median(samples)
    record = {"seconds": seconds, "repeats": len(samples), "parts": ready.compile_parts}
    budget = preset.compile_budget.get(name)
    if budget is not None and seconds > budget:
        record["status"] = presets.over_budget("measured", seconds, budget, "to compile")
    return record


def _failure(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"failed ({type(error).__name__}: {text[:160]})"


def _reference_gradients(reference: _Entry) -> list[float]:
    assert reference.ready is not None, f"{REFERENCE}: {reference.record['status']}"
    return reference.ready.gradients(reference.ready.run())


def _first_run(entry: _Entry, expected: list[float], preset: Preset) -> None:
    """One untimed run: check the gradients, measure peak memory, size the timed samples."""
    record = entry.record
    gc.collect()
    with ResidentPeak() as peak:
        try:
            seconds, result = timed(entry.ready.run)
        except Exception as error:  # as in _prepare: recorded, not raised
            record["status"] = _failure(error)
            return
    record["peak_rss"] = peak.extra
    record["first_run"] = seconds
    record["gradients"] = _compare(entry.ready.gradients(result), expected)
    if entry.engine.name != BASELINE and seconds > preset.call_budget:
        record["status"] = presets.over_budget("measured", seconds, preset.call_budget, "per call")
        record["median"] = seconds  # measured once: kept, and larger sizes are not tried
        return
    wanted = preset.min_sample_seconds / max(seconds, 1e-9)
    entry.loops = max(1, min(MAX_LOOPS, math.ceil(wanted)))


def _compare(got: list[float], expected: list[float]) -> str:
    """Whether the gradients agree with refgrad eager's ("agree"), or where they differ."""
    if len(got) != len(expected):
        return f"differ: {len(got)} gradients, expected {len(expected)}"
    scale = max((abs(x) for x in expected), default=0.0)
    absolute = 1e-12 * max(1.0, scale)
    for index, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        if not math.isclose(mine, theirs, rel_tol=RELATIVE_TOLERANCE, abs_tol=absolute):
            return f"differ: input {index} has {mine!r}, refgrad eager {theirs!r}"
    return "agree"


def _rounds(entries: list[_Entry], preset: Preset) -> int:
    """Enough rounds to fill the preset's time per case, within its bounds."""
    round_seconds = sum(entry.record["first_run"] * entry.loops for entry in entries)
    wanted = round(preset.case_seconds / max(round_seconds, 1e-9))
    return max(preset.min_rounds, min(preset.max_rounds, wanted))


def _round_runner(entries: list[_Entry]) -> Callable[[], None]:
    """A function timing one round: every engine once, in rotating order and stack depth."""
    rounds_done = 0

    def one_round() -> None:
        nonlocal rounds_done
        start = rounds_done % len(entries)
        for entry in entries[start:] + entries[:start]:
            gc.collect()
            seconds = at_depth(depth_of_round(rounds_done), lambda e=entry: _sample(e))
            entry.samples.append(seconds / entry.loops)
        rounds_done += 1

    return one_round


def _sample(entry: _Entry) -> float:
    """Seconds for ``entry.loops`` calls in a row (results dropped at once, as in a loop)."""
    run = entry.ready.run
    began = time.perf_counter()
    for _ in range(entry.loops):
        run()
    return time.perf_counter() - began


def _summarise(entry: _Entry) -> None:
    if entry.samples:
        entry.record.update(
            median=statistics.median(entry.samples),
            min=min(entry.samples),
            samples=len(entry.samples),
            loops=entry.loops,
        )


def _remember_cost(entry: _Entry, key: tuple[str, str], size: int) -> None:
    """Keep what a measured engine cost, for the budgets of larger sizes."""
    if entry.record.get("median") is None:
        return
    compiled = entry.record.get("compile")
    compile_seconds = compiled["seconds"] if compiled else None
    _measured[key].append(Cost(size, entry.record["median"], compile_seconds))


def _plans(entries: dict[str, _Entry]) -> dict[str, dict[str, int]]:
    plans: dict[str, dict[str, int]] = {}
    for entry in entries.values():
        if entry.ready is not None:
            plans.update(entry.ready.plans)
    return plans


def _problem(entry: _Entry) -> str | None:
    """What fails the test: wrong gradients from any engine, or a refgrad mode that raised.
    (A peer that raises, and any engine over budget, are results, recorded in the report.)"""
    gradients = entry.record.get("gradients", "agree")
    if gradients != "agree":
        return f"gradients {gradients}"
    if entry.engine.name.startswith("refgrad") and entry.record["status"].startswith("failed"):
        return entry.record["status"]
    return None


# --- the oracle's throughput ---------------------------------------------------------------


def _clear_jax_caches() -> None:
    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()


@functools.cache
def _warm_up_oracle() -> None:
    """A tiny campaign, untimed, once: the references' one-off costs (JAX starts its backend)
    would otherwise land on whichever target runs first."""
    from oracle import targets
    from oracle.runner import Campaign, Settings

    Campaign(targets.load("refgrad"), Settings(families=("smooth",), max_examples=2, seed=1)).run()


def test_oracle_throughput(benchmark, campaign_target: str, preset: Preset):
    """Cases and points per second of one fixed, seeded campaign on ``campaign_target``.

    JAX's caches are cleared before each campaign, as in a fresh ``oracle check`` process:
    every target draws the same programs, and each would otherwise find JAX's compilations
    of the one before.
    """
    record = {
        "suite": SUITE,
        "kind": "oracle",
        "target": campaign_target,
        "protocol": ORACLE_PROTOCOLS.get(campaign_target, "custom"),
        "families": list(preset.oracle_families),
        "examples per unit": preset.oracle_examples,
        "seed": 0,
    }
    benchmark.group = "suite: oracle throughput"
    try:
        from oracle import targets
        from oracle.runner import Campaign, Settings

        target = targets.load(campaign_target)
    except (ImportError, ValueError) as error:  # TargetLoadError is a ValueError
        record["status"] = f"not installed ({type(error).__name__}: {error})"
        benchmark.extra_info.update(record)
        benchmark.pedantic(lambda: None, rounds=1)  # so that the record reaches the JSON file
        return
    settings = Settings(
        families=preset.oracle_families,
        max_examples=preset.oracle_examples,
        seed=0,
        shrink_seconds=preset.oracle_shrink_seconds,
    )
    if benchmark.enabled:
        _warm_up_oracle()
    _clear_jax_caches()
    result = benchmark.pedantic(
        lambda: Campaign(target, settings).run(), rounds=1, iterations=1, warmup_rounds=0
    )
    timing = result.timing
    cases = sum(unit.examples for unit in result.units)
    record.update(
        status="ok",
        seconds=result.seconds,
        cases=cases,
        cases_per_second=cases / result.seconds if result.seconds else 0.0,
        points=dict(timing.points),
        engine_seconds=dict(timing.seconds),
        throughput=timing.throughput(),
        references=list(result.references),
        bugs=len(result.bugs),
    )
    benchmark.extra_info.update(record)
    assert cases > 0
