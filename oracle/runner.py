"""A campaign: programs x points, run on a target and on the references, judged, shrunk.

For each family, Hypothesis draws cases (:mod:`oracle.strategies`); each case runs on the
target and every reference, is analysed exactly (:mod:`oracle.exact`) and judged per point
(:mod:`oracle.compare`). A bug verdict raises inside the Hypothesis test, so Hypothesis shrinks
the case to a minimal program; the verdict kinds are distinct exception types, so different
kinds of bugs are found and shrunk separately. In the ``edge`` family findings are warnings
(recorded, not shrunk) unless ``strict``. Each ``edge`` unit also runs the target once at every
special point of its ops (a kink, a domain edge, a pole) and keeps the table of conventions it
follows there (:mod:`oracle.conventions`).

Shrinking re-runs every reference on each candidate; a budget (``shrink_seconds``) bounds it:
past the budget, candidates are passed without running, and the smallest failure so far is
reported.

A campaign is a list of :class:`Unit` s, each one Hypothesis run: a family over every op, and
(with ``per_op``) the smooth and edge families once more per op, over that op and ``+ - *``
only, so that a failure names its op. The ``stateful`` family is one unit per property
(:mod:`oracle.stateful`): its cases run scenarios of several backward passes, judged against
torch's semantics, and a target that cannot run them gets its units marked not applicable.
``order`` and ``modes`` add the higher-order units (:mod:`oracle.higher_order`): ``jvp`` with
forward mode (``fwd``), ``hessian`` with order 2, each also per op with ``per_op``; with
``modes`` lacking ``rev`` the first-order families do not run. The default, order 1 and
reverse mode only, is the campaign without them.
Units are independent and deterministic for a seed, so they can run in any order, in parallel
(the pytest plugin under pytest-xdist) or split across machines (``shard``), with the same
verdicts. With ``database`` set, Hypothesis keeps failing cases in that directory (keyed by
target and unit) and replays them first on the next run.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hypothesis import Phase
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky, HypothesisWarning

from oracle import conventions, higher_order, stateful
from oracle import references as reference_registry
from oracle.compare import Judgement, Verdict, WorstOfPoints, judge
from oracle.coverage import Coverage
from oracle.determinism import fixed_constants, seeded_test
from oracle.exact import Analysis, NotApplicable, analyze
from oracle.limits import TargetTimeout, target_limits
from oracle.outcome import Outcome
from oracle.strategies import DEFAULT_FAMILIES, STATEFUL, Case, cases
from oracle.targets import Target

if sys.version_info < (3, 11):  # pragma: no cover - Hypothesis brings the backport there
    from exceptiongroup import BaseExceptionGroup

# Examples per family by default: sized so a value-protocol target with all four references
# is checked in well under a minute on a 2-core machine.
DEFAULT_EXAMPLES = {"smooth": 150, "deep": 10, "edge": 100}
# Examples per op in the per-op units: each op then appears in at least this many programs
# with nothing but arithmetic around it.
PER_OP_EXAMPLES = {"smooth": 25, "edge": 20}
ARITHMETIC = ("add", "sub", "mul")  # in every unit: the ops every engine must have
POINTS_PER_CASE = {"smooth": 4, "deep": 1, "edge": 4}
WARNINGS_KEPT = 5
NOTABLE_KEPT = 3  # per verdict
SHRINKING_ORDER = ("fd", "torch", "mpmath", "jax")  # cheapest first


@dataclass(frozen=True)
class Unit:
    """One Hypothesis run of a campaign: a family, over every op or focused on one op."""

    family: str
    focus: str | None = None  # an op: programs over it and + - * only
    property_name: str | None = None  # in the stateful family: the property it checks

    @property
    def name(self) -> str:
        if self.property_name is not None:  # stateful-backward-twice
            return f"{self.family}-{self.property_name.replace(' ', '-')}"
        return self.family if self.focus is None else f"{self.family}-{self.focus}"

    def ops(self, available: Sequence[str]) -> tuple[str, ...]:
        if self.focus is None:
            return tuple(available)
        return tuple(op for op in available if op in (*ARITHMETIC, self.focus))


class ShardError(ValueError):
    """A ``--shard`` that is not ``I/N`` with 1 <= I <= N."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``: the second of four shards."""
    index, separator, count = text.partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        shard = None
    if not separator or shard is None or not 1 <= shard[0] <= shard[1]:
        raise ShardError(f"shard {text!r} is not I/N with 1 <= I <= N (for example 2/4)")
    return shard


@dataclass(frozen=True)
class Settings:
    families: tuple[str, ...] = DEFAULT_FAMILIES
    max_examples: int | None = None  # per unit; None takes DEFAULT_EXAMPLES / PER_OP_EXAMPLES
    seed: int = 0
    references: tuple[str, ...] = reference_registry.ALL
    ops: tuple[str, ...] | None = None  # None: every op the target supports
    strict: bool = False
    time_limit: float = 10.0  # seconds per case on the target
    shrink_seconds: float = 60.0
    exit_first: bool = False  # stop the campaign after the first unit that finds a bug
    per_op: bool = False  # add a unit per op to the smooth and edge families
    shard: tuple[int, int] | None = None  # (i, n): run only the i-th of n slices of the units
    database: str | None = None  # directory of Hypothesis's example database; None: none
    order: int = 1  # 2 adds the hessian unit (oracle.higher_order)
    modes: tuple[str, ...] = (higher_order.REVERSE,)  # "fwd" adds the jvp unit

    def __post_init__(self) -> None:
        higher_order.check_order_and_modes(self.order, self.modes)

    def examples(self, unit: Unit) -> int:
        if self.max_examples is not None:
            return self.max_examples
        if unit.property_name is not None:
            return stateful.EXAMPLES[unit.property_name]
        if unit.family in higher_order.FAMILIES:
            table = higher_order.EXAMPLES if unit.focus is None else higher_order.PER_OP_EXAMPLES
            return table[unit.family]
        if unit.focus is None:
            return DEFAULT_EXAMPLES[unit.family]
        return PER_OP_EXAMPLES[unit.family]

    def units(self, ops: Sequence[str]) -> list[Unit]:
        """The campaign's units over ``ops``, in a fixed order, sliced to this shard."""
        units = []
        first_order = self.families if higher_order.REVERSE in self.modes else ()
        for family in first_order:
            if family == STATEFUL:
                units += [Unit(family, property_name=name) for name in stateful.PROPERTIES]
                continue
            units.append(Unit(family))
            if self.per_op and family in PER_OP_EXAMPLES:
                units += [Unit(family, op) for op in ops if op not in ARITHMETIC]
        for family in higher_order.families(self.order, self.modes):
            units.append(Unit(family))
            if self.per_op:
                units += [Unit(family, op) for op in ops if op not in ARITHMETIC]
        if self.shard is None:
            return units
        index, count = self.shard
        return units[index - 1 :: count]


@dataclass
class CaseResult(WorstOfPoints):
    case: Case
    target: list[Outcome]
    references: dict[str, list[Outcome]]
    analyses: list[Analysis | None]
    judgements: list[Judgement]


@dataclass
class Timing:
    seconds: Counter = field(default_factory=Counter)  # engine -> seconds spent
    points: Counter = field(default_factory=Counter)  # engine -> points evaluated

    def add(self, name: str, seconds: float, points: int) -> None:
        self.seconds[name] += seconds
        self.points[name] += points

    def merged(self, other: Timing) -> Timing:
        return Timing(self.seconds + other.seconds, self.points + other.points)

    def throughput(self) -> dict[str, float]:
        return {
            name: self.points[name] / self.seconds[name] if self.seconds[name] else 0.0
            for name in self.seconds
        }


@dataclass
class UnitResult:
    unit: Unit
    examples: int = 0  # cases drawn before the first bug (all of them if none)
    counts: Counter = field(default_factory=Counter)  # verdict -> points
    bugs: list[CaseResult] = field(default_factory=list)  # shrunk, one per verdict kind
    warnings: list[CaseResult] = field(default_factory=list)
    # A few cases of each verdict that is neither agreement nor a bug (references disagree,
    # ill-conditioned, fd unreliable): evidence about the references and the tolerance policy.
    notable: dict[Verdict, list[CaseResult]] = field(default_factory=dict)
    shrink_calls: int = 0
    seconds: float = 0.0
    examples_to_first_bug: int | None = None
    notes: list[str] = field(default_factory=list)
    timing: Timing = field(default_factory=lambda: Timing())
    coverage: Coverage = field(default_factory=lambda: Coverage())  # of the drawn cases
    not_applicable: str | None = None  # why the target cannot run this unit (never run then)
    # Edge units: the target at every special point of the unit's ops (oracle.conventions),
    # and the points of drawn cases where it took another convention than torch or jax.
    convention_table: list[conventions.Row] | None = None
    convention_counts: Counter = field(default_factory=Counter)  # label -> points

    @property
    def family(self) -> str:
        return self.unit.family

    @property
    def points(self) -> int:
        return sum(self.counts.values())


@dataclass
class CampaignResult:
    target: str
    supported_ops: tuple[str, ...]
    unsupported_ops: dict[str, str]
    settings: Settings
    references: tuple[str, ...]
    units: list[UnitResult]
    seconds: float

    @property
    def timing(self) -> Timing:
        total = Timing()
        for unit in self.units:
            total = total.merged(unit.timing)
        return total

    @property
    def bugs(self) -> list[CaseResult]:
        return [bug for unit in self.units for bug in unit.bugs]

    @property
    def exit_code(self) -> int:
        return 1 if self.bugs else 0


class Found(Exception):
    """Raised inside the Hypothesis test when a case is a bug, so that Hypothesis shrinks it."""

    def __init__(self, result: CaseResult):
        super().__init__(result.judgement.explanation)
        self.result = result


# One exception type per bug verdict: Hypothesis shrinks distinct failure types separately.
class FoundTargetBug(Found): ...


class FoundExceptionDivergence(Found): ...


class FoundNanInfMismatch(Found): ...


FLAKY_REPLAY_NOTE = (
    "the target answered differently when Hypothesis replayed a case: each kind of failure "
    "seen is reported once, with its smallest case"
)

FOUND = {
    Verdict.TARGET_BUG: FoundTargetBug,
    Verdict.EXCEPTION_DIVERGENCE: FoundExceptionDivergence,
    Verdict.NAN_INF_MISMATCH: FoundNanInfMismatch,
}


class Campaign:
    def __init__(
        self,
        target: Target,
        settings: Settings,
        on_case: Callable[[Unit, int, int, CaseResult], None] | None = None,
    ):
        self.target = target
        self.settings = settings
        self.on_case = on_case or (lambda unit, done, total, result: None)
        self.references = {name: reference_registry.load(name) for name in settings.references}
        self.timing = Timing()  # the running unit's; CampaignResult.timing sums them
        self.target_seconds: list[float] = []  # per case that finished, before shrinking
        self.ops = chosen_ops(target, settings)

    # --- one case ------------------------------------------------------------------------

    def evaluate(self, case: Case, shrinking: bool = False) -> CaseResult:
        """Run ``case`` on the target and the references, and judge it.

        While shrinking, only the references the verdict needs run: one that answers at all
        when the target failed (exception divergence), else the ground truth and torch.
        Bugs are re-evaluated on every reference once shrinking is over.
        """
        program, points = case.program, case.points
        started = time.perf_counter()
        target = self._run_target(case, self._time_limit(shrinking))
        seconds = time.perf_counter() - started
        self.timing.add("target", seconds, len(points))
        if not shrinking and not any(_timed_out(outcome) for outcome in target):
            self.target_seconds.append(seconds)
        outcomes = {}
        for name in self._references_needed(target, shrinking):
            reference = self.references[name]
            started = time.perf_counter()
            outcomes[name] = reference.evaluate(program, points)
            self.timing.add(name, time.perf_counter() - started, len(points))
        started = time.perf_counter()
        needed = not shrinking or any(outcome.ok for outcome in target)
        analyses = [_analysis(program, point) if needed else None for point in points]
        self.timing.add("exact analysis", time.perf_counter() - started, len(points))
        judgements = [
            judge(
                target[p],
                {name: o[p] for name, o in outcomes.items()},
                analyses[p],
                conventions.kink_labels(program, analyses[p] and analyses[p].values),
            )
            for p in range(len(points))
        ]
        return CaseResult(case, target, outcomes, analyses, judgements)

    def _run_target(self, case: Case, seconds: float) -> list[Outcome]:
        n_inputs, n_points = case.program.n_inputs, len(case.points)
        try:
            with target_limits(seconds):
                outcomes = self.target.evaluate(case.program, case.points)
        except (Exception, TargetTimeout) as error:  # the adapter itself failed, or a hang
            return [Outcome.failure(error, n_inputs) for _ in range(n_points)]
        if len(outcomes) != n_points:
            message = f"the target returned {len(outcomes)} outcomes for {n_points} points"
            return [Outcome.failure(message, n_inputs) for _ in range(n_points)]
        return outcomes

    def _time_limit(self, shrinking: bool) -> float:
        """The settings' limit; while shrinking, less, so hangs do not eat the shrink budget.

        Shrinking only tries smaller cases, so a candidate that runs 50 times longer than the
        slowest case seen so far (and over half a second) is taken to hang.
        """
        limit = self.settings.time_limit
        if shrinking and self.target_seconds:
            limit = min(limit, max(0.5, 50 * max(self.target_seconds)))
        return limit

    def _references_needed(self, target: list[Outcome], shrinking: bool) -> list[str]:
        names = list(self.references)
        if not shrinking:
            return names
        if not any(outcome.ok for outcome in target):
            cheapest_first = sorted(names, key=SHRINKING_ORDER.index)
            return cheapest_first[:1]
        deciding = [name for name in ("mpmath", "torch") if name in names]
        return deciding or names

    # --- one unit ------------------------------------------------------------------------

    def units(self) -> list[Unit]:
        return self.settings.units(self.ops)

    def run_unit(self, unit: Unit) -> UnitResult:
        result = UnitResult(unit)
        self.timing = result.timing
        if unit.property_name is not None:
            return self._run_stateful_unit(unit, result)
        if unit.family in higher_order.FAMILIES:
            return self._run_higher_order_unit(unit, result)
        strategy = cases(unit.family, unit.ops(self.ops), n_points=POINTS_PER_CASE[unit.family])
        self._run_hypothesis(unit, result, strategy, self.evaluate)
        if unit.family == "edge":
            self._probe_conventions(unit, result)
        return result

    def _run_stateful_unit(self, unit: Unit, result: UnitResult) -> UnitResult:
        """A property of the stateful family, or why the target cannot run it."""
        reason = stateful.not_applicable(self.target, unit.property_name)
        if reason is not None:
            return _not_applicable(result, reason)
        check = stateful.PropertyCheck(
            unit.property_name, self.target, self.settings.time_limit, result.timing
        )
        self._run_hypothesis(unit, result, check.cases(unit.ops(self.ops)), check.evaluate)
        result.notes.extend(check.notes)
        return result

    def _run_higher_order_unit(self, unit: Unit, result: UnitResult) -> UnitResult:
        """The jvp or hessian unit (oracle.higher_order), or why the target cannot run it."""
        reason = higher_order.not_applicable(self.target, unit.family)
        if reason is not None:
            return _not_applicable(result, reason)
        check = higher_order.HigherOrderCheck(
            unit.family,
            self.target,
            self.settings.references,
            self.settings.modes,
            self.settings.time_limit,
            result.timing,
        )
        return self._run_hypothesis(unit, result, check.cases(unit.ops(self.ops)), check.evaluate)

    def _run_hypothesis(self, unit: Unit, result: UnitResult, strategy, evaluate) -> UnitResult:
        """Draw cases from ``strategy``, judge each with ``evaluate(case, shrinking)``, shrink
        each kind of bug found."""
        total = self.settings.examples(unit)
        strict = self.settings.strict or unit.family != "edge"
        first_bug_at: list[float] = []
        budget_spent: list[bool] = []

        def check(case: Case) -> None:
            if first_bug_at:
                result.shrink_calls += 1
                if time.perf_counter() - first_bug_at[0] > self.settings.shrink_seconds:
                    budget_spent[:] = [True]
                    return  # shrink budget spent: keep the smallest failure found so far
            outcome = evaluate(case, shrinking=bool(first_bug_at))
            if not first_bug_at:
                result.examples += 1
                for judgement in outcome.judgements:
                    result.counts[judgement.verdict] += 1
                    result.convention_counts.update(judgement.conventions)
                _keep_notable(result, outcome)
                result.coverage.add(case.program, outcome.verdict.value)
                self.on_case(unit, result.examples, total, outcome)
            if not outcome.verdict.is_bug:
                return
            if not strict:
                if len(result.warnings) < WARNINGS_KEPT:
                    result.warnings.append(outcome)
                return
            if not first_bug_at:
                first_bug_at.append(time.perf_counter())
                result.examples_to_first_bug = result.examples
            raise FOUND[outcome.verdict](outcome)

        started = time.perf_counter()
        try:
            with warnings.catch_warnings(), fixed_constants():
                # Deep counterexamples have long reprs; the report prints them its own way.
                warnings.simplefilter("ignore", HypothesisWarning)
                self._hypothesis_test(check, unit, strategy, total)()
        except Found as found:
            result.bugs.append(found.result)
        except BaseExceptionGroup as group:  # several kinds of bug, each shrunk; or a flaky one
            matched, rest = group.split(Found)
            if rest is not None:
                raise
            result.bugs.extend(_smallest_of_each_verdict(_leaves(matched)))
            # Flaky after the budget ran out is this check's doing: the final replay passed.
            replay_disagreed = group.subgroup(lambda error: isinstance(error, Flaky)) is not None
            if replay_disagreed and not budget_spent:
                result.notes.append(FLAKY_REPLAY_NOTE)
        except Flaky as flaky:  # not a group: the strategy drew differently on replay
            result.notes.append(f"the failure did not reproduce on replay: {flaky}")
        result.bugs = [self._confirm(bug, result, evaluate) for bug in result.bugs]
        result.seconds = time.perf_counter() - started
        return result

    def _probe_conventions(self, unit: Unit, result: UnitResult) -> None:
        """The edge unit's convention table: the target once at every special point of the
        unit's ops (see :mod:`oracle.conventions`).

        With ``strict``, a row that is a bug is judged as a case and joins the unit's bugs,
        unless Hypothesis already found a bug of that kind: a special point is a minimal
        program already, and without it a drawn case might never sit on that kink.
        """
        started = time.perf_counter()
        result.convention_table = conventions.probe(
            lambda case: self._run_target(case, self.settings.time_limit), unit.ops(self.ops)
        )
        if self.settings.strict:
            found = {bug.verdict for bug in result.bugs}
            for row in result.convention_table:
                if not row.bug:
                    continue
                case_result = self.evaluate(row.point.case())
                if case_result.verdict.is_bug and case_result.verdict not in found:
                    found.add(case_result.verdict)
                    result.bugs.append(case_result)
        result.seconds += time.perf_counter() - started

    def _hypothesis_test(self, check, unit: Unit, strategy, examples: int):
        """``check`` as a seeded Hypothesis test, with the example database if one is set."""
        database = None
        phases = [Phase.explicit, Phase.generate, Phase.shrink]
        if self.settings.database is not None:
            database = DirectoryBasedExampleDatabase(self.settings.database)
            phases.insert(1, Phase.reuse)
            # Hypothesis keys saved examples by the test function's source, the same for every
            # unit here; this extra digest (private, ignored by a Hypothesis without it) keeps
            # each target's and unit's failures apart.
            key = f"oracle {self.target.name} {unit.name} {','.join(unit.ops(self.ops))}"
            check._hypothesis_internal_add_digest = key.encode()
        return seeded_test(
            check,
            strategy,
            seed_value=self.settings.seed,
            max_examples=examples,
            phases=phases,
            database=database,
        )

    def _confirm(self, bug: CaseResult, result: UnitResult, evaluate) -> CaseResult:
        """Re-run a shrunk bug on every reference, for the report's table.

        A target whose bug does not show again (micrograd's recursion depth depends on set
        order, hence on memory addresses) keeps the failure that was seen, with a note.
        """
        again = evaluate(bug.case)
        if again.verdict == bug.verdict:
            return again
        result.notes.append(
            f"the {bug.verdict} did not show again on a re-run ({again.verdict}): "
            "the target behaves nondeterministically"
        )
        return bug

    def run(self) -> CampaignResult:
        started = time.perf_counter()
        units = []
        for unit in self.units():
            units.append(self.run_unit(unit))
            if self.settings.exit_first and units[-1].bugs:
                break
        return CampaignResult(
            target=self.target.name,
            supported_ops=self.ops,
            unsupported_ops=dict(self.target.unsupported_ops),
            settings=self.settings,
            references=tuple(self.references),
            units=units,
            seconds=time.perf_counter() - started,
        )


def chosen_ops(target: Target, settings: Settings) -> tuple[str, ...]:
    """The ops programs are drawn from: the settings' ``ops`` if the target has them all."""
    supported = target.supported_ops
    if settings.ops is None:
        return tuple(supported)
    missing = [op for op in settings.ops if op not in supported]
    if missing:
        raise ValueError(
            f"the target does not support {', '.join(missing)}: "
            + "; ".join(f"{op}: {target.unsupported_ops.get(op, '?')}" for op in missing)
        )
    return tuple(settings.ops)


def _not_applicable(result: UnitResult, reason: str) -> UnitResult:
    """``result`` marked as a unit the target cannot run, with the reason (never run then)."""
    result.not_applicable = reason
    result.notes.append(f"not applicable: {reason}")
    return result


def _keep_notable(result: UnitResult, outcome: CaseResult) -> None:
    verdict = outcome.verdict
    if verdict is Verdict.AGREE or verdict.is_bug:
        return
    kept = result.notable.setdefault(verdict, [])
    if len(kept) < NOTABLE_KEPT:
        kept.append(outcome)


def _timed_out(outcome: Outcome) -> bool:
    return outcome.error is not None and outcome.error.startswith(TargetTimeout.__name__)


def _analysis(program, point) -> Analysis | None:
    try:
        return analyze(program, point)
    except NotApplicable:
        return None


def _smallest_of_each_verdict(found: Sequence[Found]) -> list[CaseResult]:
    """One bug per verdict, its smallest case (the first of equals).

    Each verdict has its own exception type, so Hypothesis shrinks each separately and reports
    one of each. A target that answers differently on replay breaks that: Hypothesis then
    raises ``FlakyFailure``, a group holding the failure it had shrunk so far and the one just
    seen, often of the same verdict (micrograd's recursion depth depends on memory addresses).
    """
    smallest: dict[Verdict, CaseResult] = {}
    for error in found:
        bug, kept = error.result, smallest.get(error.result.verdict)
        if kept is None or len(bug.case.program.steps) < len(kept.case.program.steps):
            smallest[bug.verdict] = bug
    return list(smallest.values())


def _leaves(group: BaseExceptionGroup) -> Sequence[Found]:
    leaves = []
    for error in group.exceptions:
        leaves.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return leaves


def check(target: Target, settings: Settings | None = None, **options) -> CampaignResult:
    """Run a campaign against ``target`` (keyword options override ``Settings`` fields)."""
    settings = settings or Settings(**options)
    return Campaign(target, settings).run()
