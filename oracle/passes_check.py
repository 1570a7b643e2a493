"""Translation validation of refgrad's optimisation passes (``oracle passes``).

refgrad promises that every pass is exact (:mod:`refgrad.passes`): an optimised graph computes
what its input computes, bit for bit. This module checks the promise on random programs
(seeded, drawn by Hypothesis) of the oracle's ``smooth`` and ``edge`` families, and of its own
``identities`` family (:func:`identity_cases`: the constants rewrites look for, every special
input, every value observed). Each program is traced as the modes trace a function and
differentiated; per *configuration*, the graph a pass (or pipeline) gets and the graph it
returns both run in the static mode's engine (the ``Interpreter``) and the compiled mode's
(``compile_python``), every output compared at every point. Configurations, each a pass "off"
(its input) and "on" (its output):

* each pass alone, every name in ``refgrad.passes.pipeline.PASSES`` (so a new pass is checked
  too), then ``pipeline`` (``DEFAULT`` to a fixed point), ``single sweep`` (``SINGLE_SWEEP``)
  and ``default`` (what the modes run: simplification and folding fused into differentiation
  by a ``SimplifyingBuilder``, then dead-code elimination). Their input is the *unoptimised*
  graph, ``value_and_grad(..., passes=())``'s: ``reverse`` into a plain ``GraphBuilder``, no
  pass; their output is exactly what ``value_and_grad(..., passes=...)`` builds (the same
  call, :func:`refgrad.modes.gradient_graph`);
* ``cse, no interning``: the plain builder already merges identical nodes as it makes them
  (hash-consing, which ``Graph.verify`` demands), so on the unoptimised graph CSE finds
  nothing; "CSE off" is the same gradient graph built without interning, and CSE merges it;
* ``dce, in the modes``: the unoptimised graph has no dead code; the modes' own final step is
  where DCE works, on what the ``SimplifyingBuilder`` leaves. (These two run their pass once,
  directly: no mode builds their input.)

The rule is IEEE bit equality of every output (value, guards, gradient), with one exception:
two nans match whatever their sign and payload (IEEE 754 section 6.3 leaves those unspecified
for arithmetic, and refgrad's pass contract says so); such programs are counted, not failed. A
zero whose sign flips is a difference. No pass reorders floating point (none reassociates; CSE
keeps operand order), so no configuration gets a tolerance.

A configuration *changed* a program when its output graph differs from its input (node counts
before and after are recorded). A configuration that changes a result is then checked alone by
Hypothesis, which shrinks the program to a minimal one, reported with the point, both results
and both graphs. Optionally (``campaign_examples``) the configurations the modes can run also
face the oracle's references in a normal campaign on the smooth family, through the targets
``refgrad-MODE[passes=...]`` (the baseline, ``passes=none``, included).
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import struct
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hypothesis import Phase
from hypothesis import strategies as st
from hypothesis.errors import Flaky, HypothesisWarning

from oracle.determinism import fixed_constants, seeded_test
from oracle.ops import OPS
from oracle.outcome import describe, json_float
from oracle.program import Const, Program, Step
from oracle.strategies import SPECIAL_INPUTS, Case, cases, programs

FORMAT = "refgrad-oracle-passes"
VERSION = 1
IDENTITIES = "identities"  # this module's own family, below
FAMILIES = ("smooth", "edge", IDENTITIES, "deep")
MODES = ("static", "compiled", "batched")
POINTS_PER_CASE = {"smooth": 4, "edge": 4, "deep": 1}  # identity_cases has its own
# The constants the simplifier's rewrites match (and their near misses), and one plain number;
# and the oracle's ops that refgrad's simplifier has rewrites for (refgrad.passes.simplify).
IDENTITY_CONSTANTS = (0.0, -0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, 2.0)
IDENTITY_OPS = ("add", "sub", "mul", "div", "pow", "neg", "relu", "abs")
REGENERATE = "oracle passes --report reports/oracle/passes.md"

IDENTICAL, NAN_BITS, DIFFERS = "identical", "nan bits differ", "differs"


# --- the graphs a configuration compares -------------------------------------------------------


def unoptimised(traced):
    """The gradient graph without optimisation: ``value_and_grad(..., passes=())``'s."""
    from refgrad.modes import gradient_graph

    return gradient_graph(traced, ())


def uninterned(traced):
    """The same gradient graph, built without hash-consing: CSE's input with "CSE off"."""
    from refgrad.autodiff import reverse

    return reverse(traced, output=0, builder=_uninterning_builder())


def fused(traced):
    """What the modes' SimplifyingBuilder makes, before their dead-code elimination."""
    from refgrad.autodiff import reverse
    from refgrad.passes.simplify import SimplifyingBuilder

    return reverse(traced, output=0, builder=SimplifyingBuilder())


def _uninterning_builder():
    """A GraphBuilder that makes a new node for every request, duplicates and all."""
    from refgrad.graph import GraphBuilder, Node

    class Uninterning(GraphBuilder):
        def interned(self, op, operands):
            node = Node(len(self.nodes), op, operands)
            self.nodes.append(node)
            return node

        def constant(self, number):
            return self._add(Node(len(self.nodes), None, value=float(number)))

    return Uninterning()


@dataclass(frozen=True)
class Configuration:
    """A pass or pipeline, checked on the graph ``before(traced)`` it gets.

    ``passes`` is what ``value_and_grad(..., passes=...)`` takes for it (None: the default).
    The graph after is ``gradient_graph(traced, passes)``, what that call builds, for
    configurations whose ``before`` is :func:`unoptimised`; otherwise the passes run directly
    on ``before``'s graph (no mode builds it: ``campaign`` is then False).
    """

    name: str
    passes: tuple[str, ...] | None
    how: str
    before: Callable = unoptimised

    @property
    def campaign(self) -> bool:
        return self.before is unoptimised

    def after(self, traced, before):
        """The optimised graph, given the traced graph and ``before(traced)``."""
        from refgrad.modes import gradient_graph
        from refgrad.passes.pipeline import resolve

        if self.campaign:  # the modes' own call, as value_and_grad(..., passes=...) makes it
            return gradient_graph(traced, None if self.passes is None else resolve(self.passes))
        graph = before
        for step in resolve(self.passes):
            graph = step.run(graph).graph
        return graph


def configurations() -> tuple[Configuration, ...]:
    """Every configuration the check runs, in report order (the baseline excluded)."""
    from refgrad.passes.pipeline import DEFAULT, PASSES, SINGLE_SWEEP

    alone = tuple(
        Configuration(name, (name,), f"`{name}` alone, run by `optimize` to a fixed point")
        for name in PASSES
    )
    return (
        *alone,
        Configuration(
            "pipeline",
            tuple(step.name for step in DEFAULT),
            "`pipeline.DEFAULT` (simplify, fold, cse, dce) in rounds to a fixed point",
        ),
        Configuration(
            "single sweep",
            tuple(step.name for step in SINGLE_SWEEP),
            "`pipeline.SINGLE_SWEEP` (simplify+fold, then dce) to a fixed point",
        ),
        Configuration(
            "default",
            None,
            "what the modes run (`passes=None`): `reverse` into a `SimplifyingBuilder`, which "
            "simplifies and folds each node as it is made, then `dce`",
        ),
        Configuration(
            "cse, no interning",
            ("cse",),
            "`cse` on the gradient graph built without hash-consing (its input with CSE off)",
            before=uninterned,
        ),
        Configuration(
            "dce, in the modes",
            ("dce",),
            "`dce` on the `SimplifyingBuilder`'s graph, the modes' last step (off vs on)",
            before=fused,
        ),
    )


BASELINE = Configuration(
    "none", (), "`passes=()`: `reverse` into a plain `GraphBuilder` (interning only), no pass"
)


@dataclass(frozen=True)
class Settings:
    families: tuple[str, ...] = ("smooth", "edge", IDENTITIES)
    modes: tuple[str, ...] = ("static", "compiled")
    max_examples: int = 500  # programs per family
    seed: int = 0
    # Smooth cases per configuration and mode in a campaign against the references; 0: none.
    campaign_examples: int = 50
    references: tuple[str, ...] = ("torch", "mpmath")
    ops: tuple[str, ...] | None = None  # None: every op of the oracle
    shrink_seconds: float = 30.0


# --- running one program -----------------------------------------------------------------------

Result = tuple[float, ...] | str  # every output (value, guards, gradient), or the error raised


def trace_program(program: Program, point: Sequence[float], observe_all: bool = False):
    """The program's traced graph, as the modes trace a user's function.

    With ``observe_all``, every op node is an output too (after the value and the guards):
    a pass must keep every output, so a wrong rewrite shows even where later ops would hide
    it (``x + 0.0 -> x`` at ``x = -0.0`` is invisible in ``(x + 0.0) + 1.0``). The gradient
    is still the first output's.
    """
    from refgrad.graph import Graph
    from refgrad.trace import trace

    traced = trace(lambda *x: program.run(x), point, {}, tuple(range(program.n_inputs)))
    if traced.escaped:  # the modes would run it eagerly: there would be no graph to check
        raise RuntimeError(f"tracing the program escaped ({traced.escaped}):\n{program}")
    graph = traced.graph
    if not observe_all:
        return graph
    shown = set(map(id, graph.outputs))
    extra = [node for node in graph.nodes if node.op is not None and id(node) not in shown]
    names = (*graph.output_names, *(f"v{node.index}" for node in extra))
    return Graph(graph.nodes, graph.inputs, (*graph.outputs, *extra), names).verify()


def evaluate(graph, points: Sequence[Sequence[float]], mode: str) -> list[Result]:
    """Every output of ``graph`` at each point, run by ``mode``'s engine."""
    from refgrad.codegen import compile_numpy, compile_python
    from refgrad.interpret import Interpreter

    if mode == "batched":
        return _batched(compile_numpy(graph), points)
    run = Interpreter(graph) if mode == "static" else compile_python(graph)
    results: list[Result] = []
    for point in points:
        try:
            results.append(tuple(float(output) for output in run(*point)))
        except Exception as error:  # a crash is a result to compare, not a harness error
            results.append(describe(error))
    return results


def _batched(run, points) -> list[Result]:
    import numpy as np

    columns = [np.asarray(column, dtype=np.float64) for column in zip(*points, strict=True)]
    try:
        outputs = [np.broadcast_to(output, (len(points),)) for output in run(*columns)]
    except Exception as error:
        return [describe(error)] * len(points)
    return [tuple(float(output[p]) for output in outputs) for p in range(len(points))]


# --- comparing results -------------------------------------------------------------------------


def _bits(number: float) -> bytes:
    return struct.pack("<d", number)


def compare(baseline: Result, configured: Result) -> str:
    """IDENTICAL (same bits), NAN_BITS (only nan signs or payloads differ) or DIFFERS."""
    if isinstance(baseline, str) or isinstance(configured, str):
        return IDENTICAL if baseline == configured else DIFFERS
    if len(baseline) != len(configured):
        return DIFFERS
    verdict = IDENTICAL
    for a, b in zip(baseline, configured, strict=True):
        if _bits(a) == _bits(b):
            continue
        if not (math.isnan(a) and math.isnan(b)):
            return DIFFERS
        verdict = NAN_BITS
    return verdict


def compare_points(baseline: list[Result], configured: list[Result]) -> tuple[str, int | None]:
    """The worst verdict over the points, and the first point that differs (or None)."""
    verdicts = [compare(a, b) for a, b in zip(baseline, configured, strict=True)]
    if DIFFERS in verdicts:
        return DIFFERS, verdicts.index(DIFFERS)
    return (NAN_BITS if NAN_BITS in verdicts else IDENTICAL), None


# --- what is recorded --------------------------------------------------------------------------


@dataclass
class Difference:
    """A program whose results a configuration changed, with everything needed to see why."""

    mode: str
    program: Program
    point: tuple[float, ...]
    baseline: Result
    configured: Result
    graph_before: str
    graph_after: str
    shrunk: bool = False


@dataclass
class Tally:
    """One configuration on one family."""

    programs: int = 0
    changed: list[tuple[int, int, int]] = field(default_factory=list)  # (program, before, after)
    identical: Counter = field(default_factory=Counter)  # mode -> programs
    nan_bits: Counter = field(default_factory=Counter)  # mode -> programs (identical otherwise)
    differences: dict[str, Difference] = field(default_factory=dict)  # mode -> the first


@dataclass
class PassesResult:
    settings: Settings
    configurations: tuple[Configuration, ...]
    programs: dict[str, list[Program]]  # family -> every program checked, in order
    tallies: dict[str, dict[str, Tally]]  # family -> configuration -> tally
    campaigns: dict[str, dict[str, dict]]  # configuration (baseline too) -> mode -> summary
    seconds: float

    def changed_results(self) -> list[str]:
        """The configurations that changed some result, in order."""
        return [
            configuration.name
            for configuration in self.configurations
            if any(self.tallies[family][configuration.name].differences for family in self.tallies)
        ]

    def campaign_bugs(self) -> int:
        return sum(len(run["bugs"]) for modes in self.campaigns.values() for run in modes.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.changed_results() or self.campaign_bugs() else 0


class ResultsChanged(Exception):
    """Raised in a Hypothesis test when a configuration changes a result, to shrink it."""

    def __init__(self, difference: Difference):
        super().__init__(f"results changed in {difference.mode} mode")
        self.difference = difference


# --- the check ---------------------------------------------------------------------------------


def check(
    settings: Settings = Settings(),
    chosen: Sequence[Configuration] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> PassesResult:
    """Check every configuration (or the ``chosen`` ones) as the module docstring says."""
    _check_settings(settings)
    chosen = tuple(configurations() if chosen is None else chosen)
    started = time.perf_counter()
    programs: dict[str, list[Program]] = {}
    tallies: dict[str, dict[str, Tally]] = {}
    for family in settings.families:
        progress(f"{family}: {settings.max_examples} programs, {len(chosen)} configurations")
        tallies[family] = {configuration.name: Tally() for configuration in chosen}
        programs[family] = _survey(family, settings, chosen, tallies[family])
        _shrink_differences(family, settings, chosen, tallies[family], progress)
    campaigns = {}
    if settings.campaign_examples:
        for configuration in (BASELINE, *(c for c in chosen if c.campaign)):
            progress(f"campaign against {', '.join(settings.references)}: {configuration.name}")
            campaigns[configuration.name] = {
                mode: campaign(configuration, mode, settings) for mode in settings.modes
            }
    seconds = time.perf_counter() - started
    return PassesResult(settings, chosen, programs, tallies, campaigns, seconds)


def _check_settings(settings: Settings) -> None:
    unknown = [f for f in settings.families if f not in FAMILIES]
    unknown += [m for m in settings.modes if m not in MODES]
    if unknown or not settings.families or not settings.modes:
        raise ValueError(
            f"unknown families or modes {unknown}; families are {', '.join(FAMILIES)}, "
            f"modes {', '.join(MODES)}"
        )
    if settings.max_examples < 1 or settings.campaign_examples < 0:
        raise ValueError("max_examples must be at least 1 and campaign_examples at least 0")


def _strategy(family: str, settings: Settings):
    if family == IDENTITIES:
        ops = IDENTITY_OPS if settings.ops is None else settings.ops
        return identity_cases(ops)
    ops = tuple(OPS) if settings.ops is None else settings.ops
    return cases(family, ops, n_points=POINTS_PER_CASE[family])


@st.composite
def identity_cases(draw, ops=IDENTITY_OPS):
    """The edge family's programs, but every constant one the rewrites look for (``x * 1.0``,
    ``x + -0.0``) or a near miss (``x + 0.0``, ``x * 0.0``), at every special input (signed
    zeros, infinities, nan, subnormals, huge): where a rewrite that is not exact shows. The
    check observes every value of these programs, not only the output (see
    :func:`trace_program`).

    The points are not drawn: each input takes every value of ``SPECIAL_INPUTS`` once, a
    second input shifted by a drawn offset (offset 0 pairs each value with itself). So a
    pattern on an input always meets the operand that would make a wrong rewrite show (in
    the edge family, ``x + 0.0`` at ``x = -0.0`` turns up in well under one program in a
    thousand), and shrinking has only the program to shrink.
    """
    program = draw(programs(ops, max_inputs=2, max_steps=6))
    constant = st.sampled_from(IDENTITY_CONSTANTS)
    steps = tuple(
        Step(
            step.op,
            tuple(Const(draw(constant)) if isinstance(o, Const) else o for o in step.operands),
        )
        for step in program.steps
    )
    shift = draw(st.integers(0, len(SPECIAL_INPUTS) - 1))
    pairs = zip(SPECIAL_INPUTS, SPECIAL_INPUTS[shift:] + SPECIAL_INPUTS[:shift], strict=True)
    points = tuple(pair[: program.n_inputs] for pair in pairs)
    return Case(IDENTITIES, Program(program.n_inputs, steps), points)


def _survey(family, settings, chosen, tallies) -> list[Program]:
    """Every configuration on the same drawn programs, nothing raised: complete counts."""
    programs: list[Program] = []

    def examine(case: Case) -> None:
        programs.append(case.program)
        _examine(case, len(programs) - 1, settings.modes, chosen, tallies)

    phases = (Phase.explicit, Phase.generate)
    _hypothesis(examine, _strategy(family, settings), settings, phases)
    return programs


def _examine(case: Case, index: int, modes, chosen, tallies: dict[str, Tally]) -> None:
    program, points = case.program, case.points
    traced = trace_program(program, points[0], observe_all=case.family == IDENTITIES)
    inputs: dict[Callable, _Input] = {}  # configurations share their graph before
    for configuration in chosen:
        before = inputs.get(configuration.before)
        if before is None:
            before = inputs[configuration.before] = _Input(configuration.before(traced), points)
        after = configuration.after(traced, before.graph)
        tally = tallies[configuration.name]
        tally.programs += 1
        after_text = str(after)
        if after_text != before.text:
            tally.changed.append((index, len(before.graph.nodes), len(after.nodes)))
        for mode in modes:
            configured = evaluate(after, points, mode)
            verdict, point = compare_points(before.results(mode), configured)
            if verdict == IDENTICAL:
                tally.identical[mode] += 1
            elif verdict == NAN_BITS:
                tally.nan_bits[mode] += 1
            elif mode not in tally.differences:
                tally.differences[mode] = Difference(
                    mode,
                    program,
                    tuple(points[point]),
                    before.results(mode)[point],
                    configured[point],
                    before.text,
                    after_text,
                )


class _Input:
    """A graph before, printed, and its results per mode (computed once, when first asked)."""

    def __init__(self, graph, points) -> None:
        self.graph, self.points, self.text = graph, points, str(graph)
        self._results: dict[str, list[Result]] = {}

    def results(self, mode: str) -> list[Result]:
        if mode not in self._results:
            self._results[mode] = evaluate(self.graph, self.points, mode)
        return self._results[mode]


def _shrink_differences(family, settings, chosen, tallies, progress) -> None:
    """Replace each first difference by a minimal one: the configuration alone, shrunk."""
    for configuration in chosen:
        differences = tallies[configuration.name].differences
        for mode in list(differences):
            progress(f"{family}: {configuration.name} changed results in {mode} mode; shrinking")
            shrunk = shrink(family, configuration, mode, settings)
            if shrunk is not None:  # else keep the unshrunk one (the replay did not find it)
                differences[mode] = shrunk


def shrink(family: str, configuration: Configuration, mode: str, settings: Settings):
    """The minimal case where ``configuration`` changes a result in ``mode``, or None if the
    seeded run does not meet one."""
    started: list[float] = []
    latest: list[Difference] = []  # the shrinker only moves to smaller failures

    def differs(case: Case) -> None:
        if started and time.perf_counter() - started[0] > settings.shrink_seconds:
            return  # shrink budget spent: Hypothesis keeps the smallest failure so far
        tally = Tally()
        _examine(case, 0, (mode,), (configuration,), {configuration.name: tally})
        if tally.differences:
            started[:] = started or [time.perf_counter()]
            latest[:] = [tally.differences[mode]]
            raise ResultsChanged(latest[0])

    phases = (Phase.explicit, Phase.generate, Phase.shrink)
    try:
        _hypothesis(differs, _strategy(family, settings), settings, phases)
    except ResultsChanged as changed:
        latest[:] = [changed.difference]
    except Flaky:  # the budget ran out, so the final replay passed: keep the latest failure
        pass
    if not latest:
        return None
    latest[0].shrunk = True
    return latest[0]


def _hypothesis(test, strategy, settings: Settings, phases) -> None:
    """Run ``test`` as a seeded Hypothesis test over ``strategy`` (as the campaigns do)."""
    run = seeded_test(
        test,
        strategy,
        seed_value=settings.seed,
        max_examples=settings.max_examples,
        phases=phases,
        report_multiple_bugs=False,
    )
    with warnings.catch_warnings(), fixed_constants():
        warnings.simplefilter("ignore", HypothesisWarning)
        run()


# --- against the references --------------------------------------------------------------------


def campaign(configuration: Configuration, mode: str, settings: Settings) -> dict:
    """A normal campaign on the smooth family for ``refgrad-MODE[passes=...]``, summarised."""
    from oracle import runner
    from oracle.targets.refgrad_modes import RefgradTarget

    target = RefgradTarget(mode, configuration.passes)
    campaign_settings = runner.Settings(
        families=("smooth",),
        max_examples=settings.campaign_examples,
        seed=settings.seed,
        references=settings.references,
    )
    result = runner.Campaign(target, campaign_settings).run()
    verdicts: Counter = Counter()
    for unit in result.units:
        verdicts.update({str(verdict): points for verdict, points in unit.counts.items()})
    return {
        "target": target.name,
        "cases": sum(unit.examples for unit in result.units),
        "verdicts": dict(sorted(verdicts.items())),
        "bugs": [_bug_to_json(bug) for bug in result.bugs],
        "seconds": round(result.seconds, 2),
    }


def _bug_to_json(bug) -> dict:
    return {
        "verdict": str(bug.verdict),
        "explanation": bug.judgement.explanation,
        "program_python": bug.case.program.to_python(),
        "point": [json_float(x) for x in bug.case.points[bug.worst_point]],
    }


# --- the result document -----------------------------------------------------------------------


def to_json(result: PassesResult) -> dict:
    """The versioned result document (``--json``); the Markdown report is rendered from it.

    Format ``refgrad-oracle-passes``, version 1: ``settings``; ``baseline`` and
    ``configurations`` (each ``name``, ``passes``, ``how``, ``campaign``: mode -> summary of
    its campaign, and per family ``programs``, ``changed`` as ``[program index, nodes before,
    nodes after]``, ``identical`` and ``nan_bits_differ`` per mode, ``differences`` with
    program, point, both outputs (as ``repr``) and both graphs); ``programs`` (family -> every
    program checked, as IR); ``changed_results`` (the configurations that changed one),
    ``campaign_bugs``, ``exit_code``, ``seconds``.
    """
    settings = result.settings
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} ({os.cpu_count()} cores)",
        "settings": {
            "families": list(settings.families),
            "modes": list(settings.modes),
            "max_examples": settings.max_examples,
            "seed": settings.seed,
            "campaign_examples": settings.campaign_examples,
            "references": list(settings.references),
            "ops": None if settings.ops is None else list(settings.ops),
        },
        "baseline": _configuration_to_json(BASELINE, result, tallied=False),
        "configurations": [_configuration_to_json(c, result) for c in result.configurations],
        "programs": {
            family: [program.to_json() for program in programs]
            for family, programs in result.programs.items()
        },
        "changed_results": result.changed_results(),
        "campaign_bugs": result.campaign_bugs(),
        "exit_code": result.exit_code,
        "seconds": round(result.seconds, 1),
    }


def _configuration_to_json(configuration, result: PassesResult, tallied: bool = True) -> dict:
    data = {
        "name": configuration.name,
        "passes": None if configuration.passes is None else list(configuration.passes),
        "how": configuration.how,
        "campaign": result.campaigns.get(configuration.name, {}),
    }
    if tallied:
        data["families"] = {
            family: _tally_to_json(tallies[configuration.name])
            for family, tallies in result.tallies.items()
        }
    return data


def _tally_to_json(tally: Tally) -> dict:
    return {
        "programs": tally.programs,
        # [index into the family's programs, nodes before, nodes after], one per changed program
        "changed": [list(entry) for entry in tally.changed],
        "identical": dict(tally.identical),
        "nan_bits_differ": dict(tally.nan_bits),
        "differences": [_difference_to_json(d) for d in tally.differences.values()],
    }


def _difference_to_json(difference: Difference) -> dict:
    return {
        "mode": difference.mode,
        "shrunk": difference.shrunk,
        "program": difference.program.to_json(),
        "program_python": difference.program.to_python(),
        "point": [json_float(x) for x in difference.point],
        "baseline": _result_to_json(difference.baseline),
        "configured": _result_to_json(difference.configured),
        "graph_before": difference.graph_before,
        "graph_after": difference.graph_after,
    }


def _result_to_json(result: Result) -> dict:
    if isinstance(result, str):
        return {"error": result}
    # repr keeps what matters here: -0.0 apart from 0.0, every digit of every float
    return {"outputs": [repr(output) for output in result]}
