"""What the benchmark suite runs, and its budgets: the ``check``, ``quick`` and ``full`` presets.

* ``full`` (``python -m benchmarks.suite``): every workload at 10 to 100,000 nodes.
* ``quick`` (``--quick``): the same up to 10,000 nodes, and the random DAG (the headline
  workload) at 100,000 too; finishes in under five minutes on the project's 2-core machine.
* ``check`` (what ``pytest`` runs under ``--benchmark-disable``, as in CI): small sizes only,
  each case once, to check that every engine computes refgrad eager's gradients. It skips
  ``torch.compile``, whose every compile takes seconds (after a one-off warm-up of 9-18 s).

Budgets bound what the *peers* may cost, so that a run finishes; refgrad's modes and
micrograd, the yardstick, always run. Before a peer runs at a size, its cost there is
extrapolated from the largest smaller size it ran at in this session, linearly (a lower
bound: no engine's cost per node falls as graphs grow); over the budget, it does not run and
the case records "over budget (extrapolated ...)". A cost measured over the budget is kept
and marked "over budget (measured ...)", and larger sizes are not attempted. A single call
over the call budget is measured once and kept out of the timed rounds, for refgrad's modes
too (micrograd alone always takes part in every round).

The budgets, from measurements on this 2-core machine (random DAG; "loaded" means other
jobs shared the machine):

* ``jax.jit`` trace + lower + XLA compile: 0.27 s at 10 nodes, 0.6-1.2 s at 100, 2.9 s at
  300 (loaded), 9.5 s at 1,000 (12.6 s loaded) and 125 s at 3,000 (loaded): quadratic from
  there. Budget 60 s (full): 1,000 nodes compile, 10,000 would take many minutes per
  workload. (The design notes' 34 s to compile and 835 ms to run at 1,000 nodes were not
  reproduced: runs take 0.1-0.2 ms.)
* ``torch.compile`` first forward + backward (Dynamo, AOTAutograd, Inductor, its caches off;
  after a one-off warm-up of 9-18 s): 2.6 s at 10 nodes, 3.0 s at 30, 4.8 s at 100, 17 s at
  300, 118 s at 1,000 (loaded). Budget 30 s (full): 10 and 100 nodes compile, and 1,000
  (extrapolated 48 s at least) is recorded as over budget.
* One call of a peer (run time): 10 s (full). JAX eager costs 1-2 ms per node, so it runs up
  to 1,000 nodes; at 10,000 it would take over 10 s per call.

The quick preset's budgets are smaller (jax.jit 5 s, torch.compile 10 s, 2 s per call):
torch.compile runs at 10 nodes, jax.jit and JAX eager at 100 (sometimes 1,000).

Slow, and not skipped: refgrad's graph modes on the 100,000-node MLP (50,087 inputs), measured
here: compiling takes 162 s (static), 206 s (compiled) and about 150 s (batched), because
``GraphBuilder.input`` looks for a duplicate name by scanning every input so far; and one
batched call of 1,000 points takes 140 s, because ``CompiledNumpyFunction.__call__`` compares
every output with every input array (``any(result is array ...)``). Both are quadratic in the
number of inputs; until they are fixed, that case is half of a full run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_SIZES = (10, 100, 1_000, 10_000, 100_000)
HEADLINE_SIZES = (1_000, 100_000)  # the headline table: ratios to micrograd here
HEADLINE_WORKLOAD = "random_dag"  # the core issue's generator, which the targets refer to

# Points per call of the batched mode: 10,000 (the target's batch) where a call's arrays fit
# comfortably in memory; at 100,000 nodes, 1,000 points (slots of 54,614 live values x 1,000
# points of float64 are already 440 MB).
BATCH_POINTS = {10: 10_000, 100: 10_000, 1_000: 10_000, 10_000: 10_000, 100_000: 1_000}

ORACLE_TARGETS = ("refgrad", "refgrad-compiled", "autograd", "mygrad", "micrograd")


@dataclass(frozen=True)
class Cost:
    """What an engine cost at one size (seconds per call, and to compile if it compiles)."""

    size: int
    run: float
    compile: float | None = None


def over_budget(how: str, seconds: float, budget: float, what: str) -> str:
    """The status of a cost over its budget; ``how`` is "measured" or "extrapolated"."""
    bound = ">= " if how == "extrapolated" else ""
    return f"over budget ({how} {bound}{_seconds(seconds)} s > {budget:g} s {what})"


def _seconds(value: float) -> str:
    """Three significant digits, trailing zeros kept (2.00 is not 2), no exponent."""
    return f"{value:,.0f}" if value >= 100 else f"{value:#.3g}"


@dataclass(frozen=True)
class Preset:
    name: str
    sizes: dict[str, tuple[int, ...]]  # workload -> sizes, smallest first
    engines: tuple[str, ...]  # names in benchmarks.engines.ENGINES
    call_budget: float  # seconds per call of a peer
    compile_budget: dict[str, float]  # peer -> seconds per compile
    case_seconds: float  # about how long one case's interleaved rounds should take
    min_rounds: int
    max_rounds: int
    compile_repeats: int  # fresh compiles timed per mode (the median is kept) ...
    compile_repeat_seconds: float  # ... while their total stays under this
    min_sample_seconds: float  # a timed sample repeats a fast call until it lasts this long
    oracle_families: tuple[str, ...]
    oracle_examples: int  # per unit
    oracle_shrink_seconds: float = 10.0  # a found bug's shrinking is bounded (it is not speed)
    oracle_targets: tuple[str, ...] = ORACLE_TARGETS
    size_caps: dict[str, int] = field(default_factory=dict)  # engine -> largest size it runs

    def cases(self) -> list[tuple[str, int]]:
        """(workload, size) pairs, each workload's sizes smallest first (budgets extrapolate
        from the sizes run before)."""
        return [(workload, size) for workload, sizes in self.sizes.items() for size in sizes]

    def skip(self, engine: str, size: int, costs: list[Cost]) -> dict | None:
        """Why ``engine`` must not run at ``size``, as fields of its record (``status``, and
        ``estimate``: the extrapolated seconds), or None if it may run.

        ``costs`` are what it cost at the sizes measured before. The cost at ``size`` is
        extrapolated linearly from the largest smaller one: a lower bound, since no engine's
        cost per node falls as graphs grow. Compile time is checked first: for an engine
        that compiles, that is what grows.
        """
        if size > self.size_caps.get(engine, size):
            cap = self.size_caps[engine]
            return {"status": f"not run (the {self.name} preset stops at {cap:,} nodes)"}
        smaller = [cost for cost in costs if cost.size < size]
        if engine not in BUDGETED or not smaller:
            return None
        last = max(smaller, key=lambda cost: cost.size)
        growth = size / last.size
        budget = self.compile_budget.get(engine)
        if last.compile is not None and budget is not None and last.compile * growth > budget:
            estimate = last.compile * growth
            status = over_budget("extrapolated", estimate, budget, "to compile")
            return {"status": status, "estimate": {"compile": estimate}}
        if last.run * growth > self.call_budget:
            estimate = last.run * growth
            status = over_budget("extrapolated", estimate, self.call_budget, "per call")
            return {"status": status, "estimate": {"call": estimate}}
        return None

    def budgets(self) -> dict[str, object]:
        """The budgets, as the JSON file records them."""
        return {
            "call seconds (peers)": self.call_budget,
            "compile seconds": dict(self.compile_budget),
            "case seconds (interleaved rounds)": self.case_seconds,
            "rounds": [self.min_rounds, self.max_rounds],
        }


PEERS = ("micrograd", "torch eager", "torch.compile", "jax eager", "jax.jit")
BUDGETED = PEERS[1:]  # micrograd is the yardstick: it always runs
REFGRAD = ("refgrad eager", "refgrad static", "refgrad compiled", "refgrad batched")
WORKLOAD_NAMES = ("random_dag", "deep_chain", "wide_sum", "mlp")

FULL = Preset(
    name="full",
    sizes=dict.fromkeys(WORKLOAD_NAMES, ALL_SIZES),
    engines=(*REFGRAD, *PEERS),
    call_budget=10.0,
    compile_budget={"jax.jit": 60.0, "torch.compile": 30.0},
    case_seconds=20.0,
    min_rounds=5,
    max_rounds=200,
    compile_repeats=5,
    # A 100,000-node compile takes 3-4 s: with a smaller budget it was timed once, and one
    # slow spell of this machine decided the verdict (44.2 against 29.5-32.7 ms per 1,000
    # nodes in 13 of 14 fresh processes). 12 s leaves room for three.
    compile_repeat_seconds=12.0,
    min_sample_seconds=2e-4,
    oracle_families=("smooth", "edge"),
    oracle_examples=100,
)

QUICK = Preset(
    name="quick",
    sizes={
        workload: ALL_SIZES if workload == HEADLINE_WORKLOAD else ALL_SIZES[:-1]
        for workload in WORKLOAD_NAMES
    },
    engines=FULL.engines,
    call_budget=2.0,
    compile_budget={"jax.jit": 5.0, "torch.compile": 10.0},
    case_seconds=2.0,
    min_rounds=3,
    max_rounds=50,
    compile_repeats=3,
    compile_repeat_seconds=0.5,
    min_sample_seconds=2e-4,
    oracle_families=("smooth",),
    oracle_examples=30,
)

CHECK = Preset(
    name="check",
    sizes=dict.fromkeys(WORKLOAD_NAMES, (10, 100)),
    engines=tuple(name for name in FULL.engines if name != "torch.compile"),
    call_budget=1.0,
    compile_budget={},
    size_caps={"jax.jit": 10, "jax eager": 10},  # at 100 nodes: 1.2 s to jit, 0.3 s a call
    case_seconds=0.0,
    min_rounds=1,
    max_rounds=1,
    compile_repeats=1,
    compile_repeat_seconds=0.0,
    min_sample_seconds=0.0,
    oracle_families=("smooth",),
    oracle_examples=2,
    oracle_targets=("refgrad",),
)

PRESETS = {preset.name: preset for preset in (CHECK, QUICK, FULL)}


def chosen(name: str | None, benchmarks_enabled: bool) -> Preset:
    """The preset named ``name``; without one, ``quick`` when benchmarks are timed and
    ``check`` when they are not (``--benchmark-disable``, or under xdist)."""
    if name is None:
        return QUICK if benchmarks_enabled else CHECK
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown benchmark preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None
