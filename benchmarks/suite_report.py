"""The suite's report, rendered from its pytest-benchmark JSON file alone.

``load(path)`` reads a run; ``document(run)`` lays the report out as a list of blocks
(headings, paragraphs, lists, tables, images), which ``markdown`` and ``html`` render. Only
the JSON file goes in (no clock, no machine), so the same file always gives the same bytes:
``python -m benchmarks.suite report FILE`` reproduces a committed report.

How the numbers are read from a case (``test_suite.py`` writes them):

* an engine's time is its median over the interleaved rounds, per call; the batched mode's
  is per point (one call evaluates ``points`` points);
* "per node" divides by the workload's op nodes (``Workload.n_nodes``);
* "x micrograd" is that time over micrograd's time in the same case, the same rounds.
"""

from __future__ import annotations

import html as html_escaping
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.engines import BASELINE, ENGINES
from benchmarks.presets import HEADLINE_SIZES, HEADLINE_WORKLOAD, WORKLOAD_NAMES

SUITE_FORMAT = "refgrad-bench-suite/1"
COMMAND = "python -m benchmarks.suite"
PLOTS = {
    "headline.png": "Time per node on the random DAG, every engine",
    "time_per_node.png": "Time per node against size, every workload",
    "speedup.png": "Speed-up over micrograd against size, every workload",
    "compile_time.png": "Compile and trace time against size",
    "oracle_throughput.png": "Oracle throughput: points checked per second",
}
WORKLOAD_TEXT = {
    "random_dag": "random DAG with fan-out (the core issue's generator; 8 inputs)",
    "deep_chain": "deep chain: every op reads the newest value (8 inputs)",
    "wide_sum": "wide sum: terms of the inputs added in a balanced tree (8 inputs)",
    "mlp": "micrograd-style MLP (two hidden layers) and a squared-error loss; the inputs "
    "are its weights and biases",
}
COMPILING = ("refgrad static", "refgrad compiled", "refgrad batched", "torch.compile", "jax.jit")


class ReportError(ValueError):
    """The file is not a benchmark-suite result (or is damaged)."""


# --- reading a run -------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One suite run: its facts, its cases by (workload, size), its oracle campaigns."""

    data: dict
    cases: dict[tuple[str, int], dict]
    oracle: list[dict]

    @property
    def facts(self) -> dict:
        return self.data["suite"]

    def workloads(self) -> list[str]:
        present = {workload for workload, _ in self.cases}
        known = [name for name in WORKLOAD_NAMES if name in present]
        return known + sorted(present - set(known))

    def sizes(self, workload: str) -> list[int]:
        return sorted(size for name, size in self.cases if name == workload)

    def engines(self) -> list[str]:
        present = {name for case in self.cases.values() for name in case["engines"]}
        return [name for name in ENGINES if name in present] + sorted(present - set(ENGINES))

    def record(self, workload: str, size: int, engine: str) -> dict | None:
        case = self.cases.get((workload, size))
        return None if case is None else case["engines"].get(engine)

    def nodes(self, workload: str, size: int) -> int:
        return self.cases[(workload, size)]["nodes"]

    def seconds(self, workload: str, size: int, engine: str) -> float | None:
        """Median seconds per call (the batched mode: per point), if it ran."""
        record = self.record(workload, size, engine)
        if record is None or record.get("median") is None:
            return None
        return record["median"] / record.get("points", 1)

    def per_node(self, workload: str, size: int, engine: str) -> float | None:
        seconds = self.seconds(workload, size, engine)
        return None if seconds is None else seconds / self.nodes(workload, size)

    def ratio(self, workload: str, size: int, engine: str) -> float | None:
        """Time over micrograd's in the same case."""
        seconds = self.seconds(workload, size, engine)
        baseline = self.seconds(workload, size, BASELINE)
        return None if seconds is None or not baseline else seconds / baseline

    def compile_seconds(self, workload: str, size: int, engine: str) -> float | None:
        record = self.record(workload, size, engine) or {}
        return (record.get("compile") or {}).get("seconds")

    def status(self, workload: str, size: int, engine: str) -> str:
        record = self.record(workload, size, engine)
        return "not in this run" if record is None else record["status"]


def load(path: Path) -> Run:
    """Read a suite run from its pytest-benchmark JSON file."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ReportError(f"cannot read {path}: {error}") from None
    if not is_suite_data(data):
        raise ReportError(
            f"{path} is not a benchmark-suite result: it has no 'suite' entry of format "
            f"{SUITE_FORMAT!r} (made by `{COMMAND}`)"
        )
    cases, oracle = {}, []
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        if info.get("kind") == "case":
            cases[(info["workload"], info["size"])] = info
        elif info.get("kind") == "oracle":
            oracle.append(info)
    return Run(data, cases, oracle)


def is_suite_data(data: object) -> bool:
    """Whether parsed JSON is a suite run (and not, say, an oracle result file)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("suite"), dict)
        and data["suite"].get("format") == SUITE_FORMAT
        and isinstance(data.get("benchmarks"), list)
    )


# --- formatting ----------------------------------------------------------------------------


def number(value: float) -> str:
    """Three significant digits, thousands separated, never in exponent form."""
    if value >= 1000:
        return f"{value:,.0f}"
    digits = max(0, 2 - _exponent(value)) if value > 0 else 2
    return f"{value:.{digits}f}"


def _exponent(value: float) -> int:
    return int(f"{value:e}".split("e")[1])


def duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{number(seconds / scale)} {unit}"
    return f"{number(seconds / 1e-9)} ns"


def ratio(value: float) -> str:
    """A time as a ratio to micrograd's: ``0.44x``, or ``1/37`` below a tenth."""
    return f"{number(value)}x" if value >= 0.1 else f"1/{1 / value:,.0f}"


def mebibytes(count: int | None) -> str:
    if count is None:
        return "n/a"
    return "0" if count == 0 else number(count / 2**20)


def short_status(status: str) -> str:
    """The first words of a status, for a table cell (the full text goes in a note)."""
    return status.split(" (")[0]


# --- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    target: str
    measured: str | None  # None: not measured in this run
    met: bool | None
    why: str = ""  # facts from the run that explain a target not met


def checks(run: Run, workload: str = HEADLINE_WORKLOAD) -> list[Check]:
    """The issues' targets, measured on ``workload`` (the random DAG is what they name)."""
    sizes = HEADLINE_SIZES
    return [
        # the core issue (the eager engine)
        _ratio_check(run, workload, "refgrad eager", sizes[0], 0.6, "eager refgrad"),
        _growth_check(run, workload, "refgrad eager"),
        # the static and compiled modes' issue
        *(_ratio_check(run, workload, "refgrad static", n, 1 / 3, "static run") for n in sizes),
        *(
            _ratio_check(run, workload, "refgrad compiled", n, 1 / 50, "compiled run")
            for n in sizes
        ),
        *(_compile_check(run, workload, n) for n in sizes),
        _batched_check(run, workload, sizes[0]),
        _growth_check(run, workload, "refgrad static"),
        _growth_check(run, workload, "refgrad compiled"),
    ]


def _ratio_check(run: Run, workload: str, engine: str, size: int, limit: float, what: str):
    limit_text = f"{limit}x" if limit >= 0.5 else f"1/{1 / limit:.0f} of"
    target = f"{what} at {size:,} nodes: at most {limit_text} micrograd's time"
    value = run.ratio(workload, size, engine)
    if value is None:
        return Check(target, None, None)
    why = ""
    if value > limit:
        why = _ratio_why(run, workload, size, engine, limit)
    return Check(target, ratio(value), value <= limit, why)


def _ratio_why(run: Run, workload: str, size: int, engine: str, limit: float) -> str:
    per_node = run.per_node(workload, size, engine)
    baseline = run.per_node(workload, size, BASELINE)
    text = (
        f"{engine} took {number(per_node * 1e9)} ns per node, micrograd "
        f"{number(baseline * 1e9)} ns; the target needs at most "
        f"{number(baseline * limit * 1e9)} ns"
    )
    plan = run.cases[(workload, size)].get("plans", {}).get("compiled")
    if plan and engine in ("refgrad static", "refgrad compiled"):
        graph_nodes = plan["graph_nodes"]
        seconds = run.seconds(workload, size, engine)
        text += (
            f". Its optimised gradient graph has {graph_nodes:,} nodes "
            f"({graph_nodes / run.nodes(workload, size):.1f} per workload node: forward and "
            f"backward), run at {number(seconds / graph_nodes * 1e9)} ns each"
        )
    return text + "."


def _growth_check(run: Run, workload: str, engine: str) -> Check:
    small, large = HEADLINE_SIZES
    target = f"{engine}: time per node at {large:,} nodes at most 1.5x that at {small:,}"
    before, after = (run.per_node(workload, size, engine) for size in (small, large))
    if before is None or after is None:
        return Check(target, None, None)
    growth = after / before
    why = ""
    if growth > 1.5:
        why = (
            f"{number(before * 1e9)} ns per node at {small:,} nodes, "
            f"{number(after * 1e9)} ns at {large:,}."
        )
    return Check(target, f"{number(growth)}x", growth <= 1.5, why)


def _compile_check(run: Run, workload: str, size: int) -> Check:
    target = (
        f"trace + optimise + codegen (compiled mode) at {size:,} nodes: at most 30 ms per 1,000"
    )
    seconds = run.compile_seconds(workload, size, "refgrad compiled")
    if seconds is None:
        return Check(target, None, None)
    per_thousand = seconds / run.nodes(workload, size) * 1000
    why = ""
    if per_thousand > 0.030:
        plan = run.cases[(workload, size)].get("plans", {}).get("compiled", {})
        graph_nodes = plan.get("graph_nodes")
        why = f"{duration(seconds)} in all"
        if graph_nodes:
            why += (
                f", {number(seconds / graph_nodes * 1e6)} µs per node of the "
                f"{graph_nodes:,}-node gradient graph it builds, optimises and writes as code"
            )
        why += "."
    return Check(target, f"{duration(per_thousand)} per 1,000 nodes", per_thousand <= 0.030, why)


def _batched_check(run: Run, workload: str, size: int) -> Check:
    target = f"batched at {size:,} nodes: at most 10 ns per node per point at 10,000 points"
    record = run.record(workload, size, "refgrad batched") or {}
    per_node = run.per_node(workload, size, "refgrad batched")
    if per_node is None or record.get("points") != 10_000:
        return Check(target, None, None)
    nanoseconds = per_node * 1e9
    why = "" if nanoseconds <= 10 else f"{duration(record['median'])} per call of 10,000 points."
    return Check(target, f"{number(nanoseconds)} ns", nanoseconds <= 10, why)


def _verdict(check: Check) -> str:
    if check.met is None:
        return "not measured in this run"
    return "met" if check.met else "**not met**"


# --- the document --------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    right: int = 1  # columns from this one on are right-aligned (numbers)


Block = tuple | Table  # ("h1"|"h2"|"h3"|"p", text), ("ul", [items]), ("img", alt, file)


def document(run: Run) -> list[Block]:
    return [
        ("h1", "refgrad benchmark suite: every mode against micrograd, torch and JAX"),
        *_facts(run),
        *_headline(run),
        *_targets(run),
        *_times(run),
        *_compile(run),
        *_memory(run),
        *_oracle(run),
        *_method(run),
    ]


def _facts(run: Run) -> list[Block]:
    facts, machine = run.facts, run.data["machine_info"]
    cpu = machine.get("cpu", {})
    commit = run.data.get("commit_info", {})
    dirty = " (with uncommitted changes)" if commit.get("dirty") else ""
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items())
    memory = facts.get("memory bytes")
    load_before, load_after = facts.get("load average before"), facts.get("load average after")
    items = [
        f"Measured {run.data['datetime']}, preset `{facts['preset']}`"
        + (f", {duration(facts['wall seconds'])} in all" if "wall seconds" in facts else "")
        + f"; commit `{commit.get('id', 'unknown')[:12]}`{dirty}.",
        f"Machine: {cpu.get('brand_raw', 'unknown CPU')}, {cpu.get('count', '?')} cores, "
        f"{'?' if memory is None else number(memory / 2**30)} GiB, "
        f"{machine.get('system', '')} {machine.get('release', '')}; "
        f"{machine.get('python_implementation', 'Python')} {machine.get('python_version', '')}.",
        f"Versions: {versions}.",
    ]
    if load_before and load_after:
        before, after = (", ".join(number(x) for x in load) for load in (load_before, load_after))
        items.append(
            f"Load average (1, 5 and 15 minutes): {before} before the run, {after} after "
            f"({cpu.get('count', '?')} cores; the suite keeps one busy). Where it is above the "
            "core count, other processes competed for the CPU and times are inflated, but the "
            "ratios within a case were measured under the same load."
        )
    return [("ul", items)]


def _headline(run: Run) -> list[Block]:
    workload = HEADLINE_WORKLOAD
    blocks: list[Block] = [
        ("h2", "Headline: random DAG, forward + backward, against micrograd in the same run"),
        (
            "p",
            f"Workload `{workload}` ({WORKLOAD_TEXT[workload]}). Time per node is the median "
            "over interleaved rounds (the batched mode: per node per point); x micrograd is "
            "the time over micrograd's in the same rounds. Compile time is apart from run time.",
        ),
    ]
    header = ["engine"]
    for size in HEADLINE_SIZES:
        header += [f"{size:,} nodes: µs per node", "x micrograd", "compile"]
    rows, notes = [], []
    for engine in run.engines():
        row = [engine]
        for size in HEADLINE_SIZES:
            per_node = run.per_node(workload, size, engine)
            status = run.status(workload, size, engine)
            if status not in ("ok", "not in this run"):
                notes.append(f"{engine} at {size:,} nodes: {status}.")
            if per_node is None:
                row += [short_status(status), "", ""]
                continue
            compiled = (run.record(workload, size, engine) or {}).get("compile") or {}
            if "status" in compiled:
                notes.append(f"{engine} at {size:,} nodes: compile {compiled['status']}.")
            row += [
                number(per_node * 1e6),
                ratio(run.ratio(workload, size, engine)),
                duration(compiled["seconds"]) if compiled else "",
            ]
        rows.append(row)
    blocks.append(Table(header, rows))
    if notes:
        blocks.append(("ul", notes))
    blocks.append(("img", PLOTS["headline.png"], "headline.png"))
    return blocks


def _targets(run: Run) -> list[Block]:
    found = checks(run)
    items = []
    for check in found:
        text = f"{check.target}: " + (f"{check.measured}: " if check.measured else "")
        text += _verdict(check)
        if check.why:
            text += f". Why: {check.why}"
        items.append(text)
    missing = [check for check in found if check.met is False]
    summary = (
        "Every target measured in this run is met."
        if not missing
        else f"{len(missing)} of {len(found)} targets are not met in this run; each says why."
    )
    blocks: list[Block] = [
        ("h2", "Targets"),
        (
            "p",
            "From the issues on the eager engine and on the static and compiled modes, "
            f"measured on the random DAG. {summary}",
        ),
        ("ul", items),
        ("p", "The same checks on every workload (measured value, and whether it is met):"),
    ]
    workloads = run.workloads()
    per_workload = {workload: checks(run, workload) for workload in workloads}
    rows = []
    for index, check in enumerate(found):
        row = [check.target]
        for workload in workloads:
            other = per_workload[workload][index]
            row.append("-" if other.measured is None else f"{other.measured} {_mark(other)}")
        rows.append(row)
    blocks.append(Table(["target", *workloads], rows))
    return blocks


def _mark(check: Check) -> str:
    return "met" if check.met else "NOT met"


def _times(run: Run) -> list[Block]:
    blocks: list[Block] = [
        ("h2", "Time per node on every workload"),
        (
            "p",
            "µs per node (the batched mode: per node per point) and, in brackets, the time "
            "as a ratio to micrograd's in the same rounds.",
        ),
    ]
    for workload in run.workloads():
        sizes = run.sizes(workload)
        rows, notes = [], _not_run_notes(run, workload, sizes)
        for engine in run.engines():
            row = [engine]
            for size in sizes:
                per_node = run.per_node(workload, size, engine)
                if per_node is None:
                    row.append(short_status(run.status(workload, size, engine)))
                    continue
                value = run.ratio(workload, size, engine)
                row.append(f"{number(per_node * 1e6)} ({'-' if value is None else ratio(value)})")
            rows.append(row)
        blocks += [
            ("h3", f"`{workload}`: {WORKLOAD_TEXT.get(workload, workload)}"),
            Table(["engine", *(_size_header(run, workload, size) for size in sizes)], rows),
        ]
        if notes:
            blocks.append(("ul", notes))
    blocks += [
        ("img", PLOTS["time_per_node.png"], "time_per_node.png"),
        ("img", PLOTS["speedup.png"], "speedup.png"),
    ]
    return blocks


def _not_run_notes(run: Run, workload: str, sizes: list[int]) -> list[str]:
    """Why engines did not run, one note per engine: at the first size it did not, with the
    reason there (larger sizes follow from it)."""
    notes = []
    for engine in run.engines():
        for index, size in enumerate(sizes):
            status = run.status(workload, size, engine)
            if status != "ok":  # (an over-budget cost measured once is shown, and noted)
                later = " and larger" if index < len(sizes) - 1 else ""
                notes.append(f"{engine} at {size:,} nodes{later}: {status}.")
                break
    return notes


def _size_header(run: Run, workload: str, size: int) -> str:
    nodes = run.nodes(workload, size)
    return f"{size:,} nodes" if nodes == size else f"{size:,} ({nodes:,}) nodes"


def _compile(run: Run) -> list[Block]:
    budgets = run.facts["budgets"]["compile seconds"]
    budget_text = ", ".join(f"{name} {number(seconds)} s" for name, seconds in budgets.items())
    blocks: list[Block] = [
        ("h2", "Compile and trace time"),
        (
            "p",
            "Seconds before the first run, timed apart from running: refgrad's graph modes "
            "(trace, differentiate, optimise, generate code; the first call less a second) and "
            "torch.compile (the first forward + backward less a second) take the median of up "
            "to a few fresh compiles; jax.jit is compiled ahead of time, `lower` (trace and "
            "lower) and XLA's `compile` apart. Peers' budgets per compile: "
            f"{budget_text or 'none'}; a size whose compile would exceed it (extrapolated from "
            "the size before) is recorded as over budget and not compiled.",
        ),
    ]
    for workload in run.workloads():
        sizes = run.sizes(workload)
        rows = []
        for engine in (name for name in COMPILING if name in run.engines()):
            row = [engine]
            for size in sizes:
                record = run.record(workload, size, engine) or {}
                compiled = record.get("compile")
                if compiled is None:
                    row.append(short_status(run.status(workload, size, engine)))
                    continue
                text = duration(compiled["seconds"])
                parts = compiled.get("parts") or {}
                if parts:
                    text += " (" + " + ".join(duration(s) for s in parts.values()) + ")"
                if "status" in compiled:
                    text += " over budget"
                row.append(text)
            rows.append(row)
        blocks += [
            ("h3", f"`{workload}`"),
            Table(["engine", *(_size_header(run, workload, size) for size in sizes)], rows),
        ]
    blocks.append(
        (
            "p",
            "jax.jit's time is given as total (trace + lower + XLA compile). One-off warm-ups, "
            "paid before anything was timed: "
            + ", ".join(
                f"{name} {duration(seconds)}"
                for name, seconds in run.facts.get("warm-up seconds", {}).items()
            )
            + ".",
        )
    )
    blocks.append(("img", PLOTS["compile_time.png"], "compile_time.png"))
    return blocks


def _memory(run: Run) -> list[Block]:
    rows = []
    for workload in run.workloads():
        for size in run.sizes(workload):
            case = run.cases[(workload, size)]
            plans = case.get("plans", {})
            rows.append(
                [
                    f"`{workload}`",
                    f"{case['nodes']:,}",
                    f"{case['inputs']:,}",
                    *(_plan_cell(plans.get(mode), key) for mode, key in _PLAN_COLUMNS),
                ]
            )
    blocks: list[Block] = [
        ("h2", "Memory"),
        (
            "p",
            "Peak live slots: the most values alive at once in the optimised gradient graph "
            "(`refgrad.memory`), which is what a run must hold. The static plan is liveness "
            "alone; the compiled plan is after fusion (values computed inside their only "
            "user's expression need no slot).",
        ),
        Table(
            [
                "workload",
                "nodes",
                "inputs",
                "gradient graph nodes",
                "static plan: peak slots",
                "compiled plan: peak slots",
            ],
            rows,
            right=1,
        ),
        (
            "p",
            "Peak resident memory of one call, in MiB above what the process held before it "
            "(Linux's high-water mark, reset before the call): memory reused from earlier "
            "work is not counted, so these are lower bounds. For engines that compile, "
            "`run / compile`. Whole process, at its peak: "
            f"{mebibytes(run.facts.get('process peak rss bytes'))} MiB.",
        ),
    ]
    for workload in run.workloads():
        sizes = run.sizes(workload)
        rows = []
        for engine in run.engines():
            row = [engine]
            for size in sizes:
                record = run.record(workload, size, engine) or {}
                if "peak_rss" not in record:
                    row.append("-")
                    continue
                text = mebibytes(record["peak_rss"])
                if record.get("compile"):
                    text += f" / {mebibytes(record['compile'].get('peak_rss'))}"
                row.append(text)
            rows.append(row)
        blocks += [
            ("h3", f"`{workload}`: peak resident MiB"),
            Table(["engine", *(_size_header(run, workload, size) for size in sizes)], rows),
        ]
    return blocks


_PLAN_COLUMNS = (("compiled", "graph_nodes"), ("static", "peak_slots"), ("compiled", "peak_slots"))


def _plan_cell(plan: dict | None, key: str) -> str:
    return "-" if plan is None else f"{plan[key]:,}"


def _oracle(run: Run) -> list[Block]:
    if not run.oracle:
        return []
    engines: list[str] = []
    for record in run.oracle:
        for name in record.get("throughput", {}):
            if name not in engines:
                engines.append(name)
    rows = []
    for record in run.oracle:
        if record.get("status") != "ok":
            rows.append([record["target"], record["protocol"], record["status"]])
            continue
        throughput = record["throughput"]
        rows.append(
            [
                record["target"],
                record["protocol"],
                f"{record['cases']:,}",
                duration(record["seconds"]),
                number(record["cases_per_second"]),
                *(number(throughput[name]) if name in throughput else "-" for name in engines),
                str(record["bugs"]),
            ]
        )
    first = run.oracle[0]
    return [
        ("h2", "Oracle throughput"),
        (
            "p",
            "One fixed, seeded campaign per target (`oracle.runner.Campaign`: families "
            f"{', '.join(first['families'])}, {first['examples per unit']} examples per unit, "
            f"seed {first['seed']}, every reference). Cases per second is the whole campaign's "
            "(generation, every engine, judging, any shrinking); the other columns are points "
            "per second of each engine alone: the target, each reference, and the exact "
            "analysis that judges them (`CampaignResult.timing.throughput()`). JAX's caches "
            "are cleared before each campaign, as in a fresh `oracle check` process.",
        ),
        Table(
            [
                "target",
                "protocol",
                "cases",
                "time",
                "cases/s",
                *(f"{engine} pts/s" for engine in engines),
                "bugs",
            ],
            rows,
            right=2,
        ),
        ("img", PLOTS["oracle_throughput.png"], "oracle_throughput.png"),
    ]


def _method(run: Run) -> list[Block]:
    budgets = run.facts["budgets"]
    points = run.facts.get("batch points", {})
    points_text = ", ".join(f"{int(size):,} nodes: {count:,}" for size, count in points.items())
    return [
        ("h2", "How this was measured"),
        (
            "ul",
            [
                "`benchmarks/test_suite.py` (pytest-benchmark, one process, no xdist): a case "
                "is one workload at one size; every engine is prepared (and compiled), run once "
                "untimed (its gradients must match refgrad eager's to 1e-9), then timed in "
                "rounds that run every engine once, in rotating order, each round from another "
                "stack depth (`benchmarks/timing.py`: CPython 3.11 makes some depths several "
                "times slower). Times are medians over the rounds.",
                "Before each timed sample the garbage collector runs, untimed, and what was "
                "alive before the rounds is frozen out of its reach: no engine pays for other "
                "engines' objects or garbage (micrograd leaves a reference cycle per node).",
                f"Budgets: {number(budgets['call seconds (peers)'])} s per call; compiles as "
                "above. A peer is not run at a size where its cost, extrapolated linearly from "
                "the largest smaller size measured (a lower bound), is over budget; refgrad's "
                "modes and micrograd always run, but any engine other than micrograd whose "
                "one call takes longer than the budget is timed that once and left out of the "
                "rounds. Either way the size is recorded with the reason, never dropped.",
                f"Batched mode: points per call by size: {points_text}.",
                "The workloads (`benchmarks/workloads.py`) are seeded straight-line programs "
                "that use only what micrograd has (`+`, `*`, `** number`, `relu()`); every "
                "engine runs the same source on the same float64 inputs.",
            ],
        ),
        ("h2", "Regenerate"),
        (
            "p",
            "`oracle bench --name NAME` (or `--quick`; the same as "
            f"`{COMMAND} --name NAME`) runs the suite in a fresh process and writes "
            "`reports/NAME/`; `oracle report reports/NAME/benchmark.json` (or "
            f"`{COMMAND} report reports/NAME/benchmark.json`) renders this report, the HTML "
            "page and the plots again from the JSON file alone.",
        ),
    ]


def readme_headline(run: Run, folder: str) -> str:
    """The README's copy of the headline: the table, its notes, the plot (linked inside
    ``folder``, the report's folder as the README sees it) and every target not met, with why.
    """
    blocks: list[Block] = [("p", f"From [`{folder}/report.md`]({folder}/report.md): " + _made(run))]
    for block in _headline(run)[1:]:
        if isinstance(block, tuple) and block[0] == "img":
            block = ("img", block[1], f"{folder}/{block[2]}")
        blocks.append(block)
    found = checks(run)
    missing = [check for check in found if check.met is False]
    blocks.append(("p", f"Targets: {len(found) - len(missing)} of {len(found)} met in this run."))
    if missing:
        blocks.append(
            (
                "ul",
                [
                    f"Not met: {check.target}: {check.measured}. Why: {check.why}"
                    for check in missing
                ],
            )
        )
    return _render_markdown(blocks)


def _made(run: Run) -> str:
    facts, cpu = run.facts, run.data["machine_info"].get("cpu", {})
    return (
        f"preset `{facts['preset']}`, measured {run.data['datetime'][:10]} on "
        f"{cpu.get('brand_raw', 'an unknown CPU')} ({cpu.get('count', '?')} cores)."
    )


# --- rendering -----------------------------------------------------------------------------


def markdown(run: Run) -> str:
    return _render_markdown(document(run))


def _render_markdown(blocks: Iterable[Block]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Table):
            parts.append(_markdown_table(block))
        elif block[0] in ("h1", "h2", "h3"):
            parts.append("#" * int(block[0][1]) + " " + block[1])
        elif block[0] == "p":
            parts.append(block[1])
        elif block[0] == "ul":
            parts.append("\n".join(f"- {item}" for item in block[1]))
        elif block[0] == "img":
            parts.append(f"![{block[1]}]({block[2]})")
    return "\n\n".join(parts) + "\n"


def _markdown_table(table: Table) -> str:
    align = ["---" if i < table.right else "---:" for i in range(len(table.header))]
    lines = [_markdown_row(table.header), _markdown_row(align)]
    lines += [_markdown_row(row) for row in table.rows]
    return "\n".join(lines)


def _markdown_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 80rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.45; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
th { background: #f2f2f2; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #ddd; margin: 1rem 0; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def html(run: Run) -> str:
    body = []
    for block in document(run):
        if isinstance(block, Table):
            body.append(_html_table(block))
        elif block[0] in ("h1", "h2", "h3", "p"):
            body.append(f"<{block[0]}>{_inline(block[1])}</{block[0]}>")
        elif block[0] == "ul":
            items = "".join(f"<li>{_inline(item)}</li>" for item in block[1])
            body.append(f"<ul>{items}</ul>")
        elif block[0] == "img":
            alt = html_escaping.escape(block[1])
            body.append(f'<figure><img src="{block[2]}" alt="{alt}"></figure>')
    title = "refgrad benchmark suite"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{_inline(cell)}</th>" for cell in table.header)
    rows = []
    for row in table.rows:
        cells = "".join(
            f'<td class="number">{_inline(cell)}</td>'
            if i >= table.right
            else f"<td>{_inline(cell)}</td>"
            for i, cell in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _inline(text: str) -> str:
    """Markdown's inline code and bold, as HTML (everything else escaped)."""
    escaped = html_escaping.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)
