"""Forward mode and second order: the ``jvp`` and ``hessian`` units of a campaign.

``oracle check TARGET --modes fwd,rev --order 2`` adds two kinds of unit to the campaign's
first-order ones (``--modes`` says which differentiation modes are checked, ``--order`` up to
which order; the default, ``--modes rev --order 1``, is the campaign as it always was):

``jvp`` (with ``--modes fwd``)
    A smooth program (:func:`oracle.strategies.smooth_cases`) at a few points, and a
    direction ``v`` drawn with it: all ones, a unit vector, or random components (in that
    order of preference, so a failure shrinks to a minimal program *and* a simple direction).
    The target's forward mode gives the value and the directional derivative ``J v``; they
    are compared with ``torch.func.jvp``, ``jax.jvp`` and the ground truth's directional
    derivative of the exact program (:mod:`oracle.references.ground_truth_higher`).

    With ``--modes fwd,rev``, each case also checks forward against reverse mode. For a
    program ``f: R^n -> R``, ``J`` is a 1 x n row, the VJP with cotangent ``u`` is ``u ∇f``,
    and ``<v, J^T u> = <J v, u>`` reads ``u <∇f, v> = u J v``; both sides are linear in
    ``u``, so ``u = 1`` loses nothing: the target's forward-mode ``J v`` must equal its own
    reverse-mode gradient projected on ``v``. The check means something only where the
    target's ``J v`` is a genuine forward sweep (not ``dot(grad, v)``); every adapter here
    computes it so (refgrad's ``jvp``, ``torch.func.jvp``, ``jax.jvp``, autograd's
    ``make_jvp``).
``hessian`` (with ``--order 2``)
    A smooth program at a few points; the target's Hessian (n x n, programs have at most
    three inputs) against torch's (``torch.autograd.grad`` twice), JAX's (``jax.hessian``,
    forward-over-reverse) and the ground truth's second differences of the exact program.

**Tolerance policy.**

* value and ``J v``: first-order quantities, judged by the exact analysis'
  (:mod:`oracle.exact`) first-order error bounds as the smooth family is. The value gets
  ``SAFETY * value_bound``; ``J v`` gets ``2 * SAFETY * sum_i |v_i| G_i``, ``G_i`` being the
  bound on gradient entry ``i``: term by term (slope errors, product and sum roundings), a
  forward sweep's first-order error is at most twice what the reverse bound charges, the
  sweep's sums running over a node's operands where reverse mode's run over its consumers.
  A well-conditioned case is thus judged near 1e-15 relative, and a wrong tangent rule shows.
* forward vs reverse: ``|J v - <∇f, v>|`` (the target's own numbers, the dot product summed
  exactly) may be ``J v``'s tolerance plus ``sum_i |v_i| SAFETY G_i`` (the gradient's) plus
  the rounding of the products, ``n u sum_i |∇f_i v_i|``.
* Hessian entries: there is no first-order rounding bound for second derivatives, so the
  policy is a stated relative tolerance, normwise: entry ``(i, j)`` is compared at
  :data:`SECOND_ORDER_RELATIVE` (1e-8) of the larger of its own size and
  :data:`NORMWISE` (a thousandth) of the Hessian's largest entry, plus the ground truth's
  error estimate. Correct float64 engines agree far closer (1e-13 on well-conditioned cases);
  a wrong second-derivative rule is off by a relative O(1). An entry that cancels (exactly 0,
  computed as 1e-17 from terms of size 1, as ``sqrt(x) ** 2`` does) is not judged relative to
  its own size but to its terms': the tolerance also holds
  ``ROUNDING_PER_STEP * steps * u * |H|_ij``, where ``|H|`` is the second-order chain rule
  ``H_ij = sum_k g_k sum_ab s_ab t_ai t_bj`` (adjoints ``g``, local second partials ``s``,
  tangents ``t``) summed in absolute values, from the exact local slopes
  (:func:`oracle.exact.step_slopes`): the size of what a float64 engine adds up, whatever
  the order it adds it in.

**Consensus**, per quantity, as in :mod:`oracle.compare`: the ground truth (``mpmath``)
anchors it where it answers; the float64 references (torch, jax) that agree with it, within
the quantity's tolerance plus its error estimate, join; one that does not is noted; if none
does, the case is *references disagree*, never a bug. Without a ground truth, torch and jax
must agree with each other. nan and inf compare exactly.

**Verdicts**, as elsewhere: *target bug* beyond tolerance, *exception divergence* when the
target raises where a reference answers, *nan-inf mismatch*; where the exact analysis says
the first-order picture cannot be trusted (near a kink, a slope that rounding moves), a
mismatch is *ill-conditioned* instead. Programs are drawn from the smooth domain, so kinks
are not on the table here (the edge family is where conventions at kinks are judged).

**Targets** take part through an optional ``higher_order`` attribute, a :class:`Differentiator`
(see :mod:`oracle.targets.differentiators`): refgrad (the ``refgrad`` target and
``refgrad-eager/static/compiled``, through ``refgrad.jvp`` and ``refgrad.hessian``), torch and
jax as targets, HIPS ``autograd``, and any function-protocol adapter given ``jvp`` and
``hessian`` transforms. A differentiator may list what it cannot do in ``not_applicable``
(``"jvp"`` or ``"hessian"`` -> reason); a target without one gets both units marked *not
applicable* with the reason, never skipped silently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import mpmath
from hypothesis import strategies as st

from oracle.compare import (
    FLOAT64_REFERENCES,
    LOOSE_RELATIVE,
    SAFETY,
    SEVERITY,
    TINY,
    UNIT_ROUNDOFF,
    Judgement,
    Verdict,
    WorstOfPoints,
)
from oracle.exact import (
    Analysis,
    NotApplicable,
    analyze,
    step_slopes,
    values_at_working_precision,
)
from oracle.expected import bug_id
from oracle.higher_outcomes import HessianOutcome, JvpOutcome
from oracle.limits import TargetTimeout, target_limits
from oracle.outcome import Outcome, json_float
from oracle.program import Program
from oracle.references import HIGHER_REGISTRY, load_higher
from oracle.strategies import Case, signed_magnitudes, smooth_cases

JVP = "jvp"
HESSIAN = "hessian"
FAMILIES = (JVP, HESSIAN)
REVERSE, FORWARD = "rev", "fwd"
MODES = (REVERSE, FORWARD)
ORDERS = (1, 2)
EXAMPLES = {JVP: 100, HESSIAN: 60}  # per unit over every op
PER_OP_EXAMPLES = {JVP: 15, HESSIAN: 10}
POINTS_PER_CASE = {JVP: 4, HESSIAN: 2}
SECOND_ORDER_RELATIVE = 1e-8
NORMWISE = 1e-3
ROUNDING_PER_STEP = 32  # roundings (in u) each step may add to a second-order term


def families(order: int, modes: Sequence[str]) -> tuple[str, ...]:
    """The higher-order units a campaign runs for ``order`` and ``modes`` (ValueError if
    either is not one this oracle knows)."""
    check_order_and_modes(order, modes)
    chosen = [JVP] if FORWARD in modes else []
    return (*chosen, HESSIAN) if order == 2 else tuple(chosen)


def check_order_and_modes(order: int, modes: Sequence[str]) -> None:
    if order not in ORDERS:
        raise ValueError(f"order {order!r} is not one of {', '.join(map(str, ORDERS))}")
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise ValueError(
            f"unknown modes {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(MODES)}"
        )


class Differentiator(Protocol):
    """How the oracle asks a target for forward mode and second derivatives: its optional
    ``higher_order`` attribute. ``not_applicable`` maps ``"jvp"`` or ``"hessian"`` to why the
    target cannot answer it (absent: it can)."""

    not_applicable: Mapping[str, str]

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]: ...

    def hessian(self, program: Program, points) -> list[HessianOutcome]: ...


def not_applicable(target, family: str) -> str | None:
    """Why ``target`` cannot run the ``family`` unit, or None if it can."""
    differentiator = getattr(target, "higher_order", None)
    if differentiator is None:
        return _no_differentiator(target)
    return differentiator.not_applicable.get(family)


def _no_differentiator(target) -> str:
    from oracle.targets.tensor_protocol import TensorProtocolTarget
    from oracle.targets.value_protocol import ValueProtocolTarget

    if isinstance(target, ValueProtocolTarget):
        return (
            "the value protocol has one backward pass (.grad on the leaves): no forward mode "
            "and no second derivatives to ask for (the `refgrad` target has them)"
        )
    if isinstance(target, TensorProtocolTarget):
        return (
            "the tensor protocol drives one .backward() per program: no forward mode and no "
            "second derivatives to ask for"
        )
    return (
        "the target has no `higher_order` differentiator (see "
        "oracle.higher_order.Differentiator), so it offers no forward mode and no Hessian"
    )


# --- cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectedCase(Case):
    """A case of the ``jvp`` unit: a program, its points, and the direction ``v``."""

    direction: tuple[float, ...] = ()

    def to_json(self) -> dict:
        return {**super().to_json(), "direction": list(self.direction)}


@st.composite
def directions(draw, n_inputs: int) -> tuple[float, ...]:
    """All ones, a unit vector or random components, preferred in that order (shrinking
    moves toward all ones)."""
    kind = draw(st.sampled_from(("ones", "unit", "random")))
    if kind == "ones":
        return (1.0,) * n_inputs
    if kind == "unit":
        axis = draw(st.integers(0, n_inputs - 1))
        return tuple(1.0 if i == axis else 0.0 for i in range(n_inputs))
    return tuple(draw(signed_magnitudes(2)) for _ in range(n_inputs))


@st.composite
def jvp_cases(draw, ops: Sequence[str], n_points: int = POINTS_PER_CASE[JVP]):
    case = draw(smooth_cases(tuple(ops), n_points=n_points))
    direction = draw(directions(case.program.n_inputs))
    return DirectedCase(JVP, case.program, case.points, direction)


def hessian_cases(ops: Sequence[str], n_points: int = POINTS_PER_CASE[HESSIAN]):
    return smooth_cases(tuple(ops), n_points=n_points).map(
        lambda case: Case(HESSIAN, case.program, case.points)
    )


# --- a case, judged ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One quantity of a case at one point: the target's number, each reference's, and how
    far the target may be from the consensus (None where there is no tolerance to show)."""

    quantity: str
    target: float | None
    references: dict[str, float | None]
    tolerance: float | None

    def to_json(self) -> dict:
        return {
            "quantity": self.quantity,
            "target": _json_number(self.target),
            **{name: _json_number(number) for name, number in self.references.items()},
            "tolerance": _json_number(self.tolerance),
        }


@dataclass
class HigherOrderResult(WorstOfPoints):
    """A ``jvp`` or ``hessian`` case: what every engine returned, and the verdict per point.

    Shaped like :class:`oracle.runner.CaseResult` where the campaign reads it (``case``,
    ``judgements``, ``verdict``, ``judgement``, ``worst_point``)."""

    case: Case
    target: list
    references: dict[str, list]
    analyses: list[Analysis | None]
    judgements: list[Judgement]
    rows: list[list[Row]]  # per point
    gradients: list[Outcome] | None = None  # the target's reverse mode, for fwd vs rev

    @property
    def family(self) -> str:
        return self.case.family

    @property
    def bug_id(self) -> str:
        return bug_id(self.family, self.verdict.value, self.case.program.to_json())


class HigherOrderCheck:
    """The ``jvp`` or ``hessian`` unit of a campaign: its cases, each run and judged.

    ``modes`` decides whether the ``jvp`` unit also checks forward against reverse mode.
    """

    def __init__(self, family: str, target, references: Sequence[str], modes, time_limit, timing):
        if family not in FAMILIES:
            raise ValueError(f"unknown higher-order unit {family!r}; choose from {FAMILIES}")
        self.family = family
        self.target = target
        self.differentiator: Differentiator = target.higher_order
        self.references = {
            name: load_higher(name) for name in references if name in HIGHER_REGISTRY
        }
        self.consistency = family == JVP and REVERSE in modes
        self.time_limit = time_limit
        self.timing = timing  # oracle.runner.Timing: seconds per engine

    def cases(self, ops: Sequence[str]):
        return jvp_cases(tuple(ops)) if self.family == JVP else hessian_cases(tuple(ops))

    def evaluate(self, case: Case, shrinking: bool = False) -> HigherOrderResult:
        """Run ``case`` on the target and every reference, and judge every point (the same
        work while shrinking: which references answer decides the consensus, so a case must
        be judged by the same ones each time it runs)."""
        program, points = case.program, case.points
        target = self._timed("target", lambda: self._run_target(case), len(points))
        gradients = None
        if self.consistency:
            gradients = self._timed("target", lambda: self._run_gradients(case), len(points))
        answers = {}
        for name, reference in self.references.items():
            answers[name] = self._timed(
                name, lambda reference=reference: self._ask(reference, case), len(points)
            )
        analyses = self._timed(
            "exact analysis", lambda: [_analysis(program, point) for point in points], len(points)
        )
        sizes = [None] * len(points)
        if self.family == HESSIAN:
            sizes = self._timed(
                "exact analysis",
                lambda: [absolute_hessian(program, point) for point in points],
                len(points),
            )
        judged = [
            self._judge(
                case,
                sizes[p],
                target[p],
                {n: a[p] for n, a in answers.items()},
                analyses[p],
                gradients[p] if gradients else None,
            )
            for p in range(len(points))
        ]
        return HigherOrderResult(
            case,
            target,
            answers,
            analyses,
            [judgement for judgement, _ in judged],
            [rows for _, rows in judged],
            gradients,
        )

    # --- running the engines ----------------------------------------------------------------

    def _ask(self, engine, case: Case) -> list:
        if self.family == JVP:
            return engine.jvp(case.program, case.points, case.direction)
        return engine.hessian(case.program, case.points)

    def _run_target(self, case: Case) -> list:
        n_points, n_inputs = len(case.points), case.program.n_inputs
        try:
            with target_limits(self.time_limit):
                outcomes = list(self._ask(self.differentiator, case))
        except (Exception, TargetTimeout) as error:
            return [self._failure(error, n_inputs) for _ in range(n_points)]
        if len(outcomes) != n_points:
            message = f"the target returned {len(outcomes)} outcomes for {n_points} points"
            return [self._failure(message, n_inputs) for _ in range(n_points)]
        return outcomes

    def _run_gradients(self, case: Case) -> list[Outcome]:
        n_inputs = case.program.n_inputs
        try:
            with target_limits(self.time_limit):
                outcomes = list(self.target.evaluate(case.program, case.points))
        except (Exception, TargetTimeout) as error:
            return [Outcome.failure(error, n_inputs) for _ in case.points]
        if len(outcomes) != len(case.points):
            return [Outcome.failure("wrong number of outcomes", n_inputs) for _ in case.points]
        return outcomes

    def _failure(self, error, n_inputs: int):
        if self.family == JVP:
            return JvpOutcome.failure(error)
        return HessianOutcome.failure(error, n_inputs)

    def _timed(self, name: str, work: Callable, points: int):
        started = time.perf_counter()
        result = work()
        self.timing.add(name, time.perf_counter() - started, points)
        return result

    # --- judging one point --------------------------------------------------------------------

    def _judge(self, case, sizes, target, answers, analysis, gradient):
        """The verdict at one point, and its table rows. ``sizes`` is the absolute Hessian
        (:func:`absolute_hessian`) in the hessian unit."""
        answered = {name: outcome for name, outcome in answers.items() if outcome.ok}
        if not target.ok:
            if answered:
                name = next(iter(answered))
                explanation = f"the target raised {target.error}, where {name} answered"
                return Judgement(Verdict.EXCEPTION_DIVERGENCE, explanation), []
            return Judgement(Verdict.AGREE, "the target and every reference failed alike"), []
        judgements, rows = [], []
        if answered:
            if self.family == JVP:
                quantities = _jvp_quantities(case, target, answered, analysis)
            else:
                quantities = _hessian_quantities(case.program, target, answered, sizes)
            judgements = [quantity.judge() for quantity in quantities]
            rows = [quantity.row(answers) for quantity in quantities]
        elif answers:
            failures = "; ".join(f"{n}: {o.error}" for n, o in answers.items())
            explanation = f"no reference could evaluate this case ({failures})"
            judgements.append(Judgement(Verdict.REFERENCES_DISAGREE, explanation))
        if gradient is not None:  # the target against itself: needs no reference
            judgement, row = _consistency(case.direction, target, gradient, analysis)
            judgements.append(judgement)
            rows.append(row)
        if not judgements:
            return Judgement(Verdict.AGREE, "nothing to compare: no reference was asked"), rows
        reason = analysis.ill_conditioned if analysis is not None else None
        return _worst(judgements, reason), rows


def _analysis(program: Program, point) -> Analysis | None:
    try:
        return analyze(program, point)
    except NotApplicable:
        return None


# --- quantities and their consensus -------------------------------------------------------------


@dataclass
class Quantity:
    """One number the target gave, what each reference gave (with its own error estimate),
    and the tolerance around the consensus."""

    name: str
    got: float
    answers: dict[str, tuple[float, float]]  # reference -> (number, its error estimate)
    tolerance: float
    notes: list[str] = field(default_factory=list)

    def judge(self) -> Judgement:
        consensus = self._consensus()
        if consensus is None:
            described = ", ".join(f"{n} {number!r}" for n, (number, _) in self.answers.items())
            explanation = f"{self.name}: references disagree ({described})"
            return Judgement(Verdict.REFERENCES_DISAGREE, explanation, self.name)
        expected, slack, disagreeing = consensus
        notes = ()
        if disagreeing:
            notes = (f"{self.name}: {', '.join(disagreeing)} disagreed with the ground truth",)
        mismatch = _mismatch(self.got, expected, self.tolerance + slack)
        if mismatch is not None:
            verdict, detail = mismatch
            return Judgement(verdict, f"{self.name}: {detail}", self.name, notes)
        if disagreeing:
            return Judgement(Verdict.REFERENCES_DISAGREE, notes[0], self.name, notes)
        return Judgement(Verdict.AGREE, "agree", self.name, notes)

    def _consensus(self):
        """(expected number, slack, references disagreeing with it), or None."""
        if "mpmath" in self.answers:
            anchor, error = self.answers["mpmath"]
            slack = error + UNIT_ROUNDOFF * abs(anchor)
            floats = [name for name in FLOAT64_REFERENCES if name in self.answers]
            disagreeing = [
                name
                for name in floats
                if _mismatch(self.answers[name][0], anchor, self.tolerance + slack) is not None
            ]
            if floats and len(disagreeing) == len(floats):
                return None  # no float64 engine backs the ground truth: do not judge on it
            return anchor, slack, disagreeing
        numbers = [self.answers[name][0] for name in FLOAT64_REFERENCES if name in self.answers]
        first = numbers[0]
        if any(_mismatch(other, first, 2 * self.tolerance) for other in numbers[1:]):
            return None
        return first, 0.0, []

    def row(self, answers) -> Row:
        """The table row, with a cell for every reference asked (None: it failed)."""
        numbers = {name: self.answers.get(name, (None, None))[0] for name in answers}
        return Row(self.name, self.got, numbers, self.tolerance)


def _mismatch(got: float, expected: float, tolerance: float):
    """None if ``got`` is within ``tolerance`` of ``expected``, else (verdict, detail)."""
    if not (math.isfinite(got) and math.isfinite(expected)):
        same = (math.isnan(got) and math.isnan(expected)) or got == expected
        return (
            None if same else (Verdict.NAN_INF_MISMATCH, f"target {got!r}, references {expected!r}")
        )
    error = abs(got - expected)
    if error <= tolerance:
        return None
    relative = error / abs(expected) if expected else math.inf
    return Verdict.TARGET_BUG, (
        f"target {got!r}, references {expected!r}: off by {error:.3g} "
        f"(relative {relative:.3g}), tolerance {tolerance:.3g}"
    )


def _jvp_quantities(case: DirectedCase, target: JvpOutcome, answered, analysis) -> list[Quantity]:
    value_tolerance, jvp_tolerance = _jvp_tolerances(case.direction, analysis, target)
    return [
        Quantity(
            "value", target.value, {n: (o.value, 0.0) for n, o in answered.items()}, value_tolerance
        ),
        Quantity(
            "J v", target.jvp, {n: (o.jvp, o.jvp_error) for n, o in answered.items()}, jvp_tolerance
        ),
    ]


def _jvp_tolerances(direction, analysis: Analysis | None, target: JvpOutcome):
    """(value's tolerance, J v's tolerance): see the module docstring."""
    if analysis is None:
        loose = [LOOSE_RELATIVE * abs(x) + TINY for x in (target.value, target.jvp)]
        return loose[0], loose[1]
    projected = sum(
        abs(v) * bound for v, bound in zip(direction, analysis.gradient_bound, strict=True)
    )
    return SAFETY * analysis.value_bound + TINY, 2 * SAFETY * projected + TINY


def _consistency(
    direction, target: JvpOutcome, gradient: Outcome, analysis
) -> tuple[Judgement, Row]:
    """Forward vs reverse: the target's J v against its own gradient projected on v."""
    name = "∇f · v (rev)"
    if not gradient.ok:
        explanation = f"{name}: the target's reverse mode raised {gradient.error}"
        return Judgement(Verdict.EXCEPTION_DIVERGENCE, explanation, name), Row(name, None, {}, None)
    products = [g * v for g, v in zip(gradient.gradient, direction, strict=True)]
    projected = math.fsum(products)
    _, jvp_tolerance = _jvp_tolerances(direction, analysis, target)
    if analysis is None:
        tolerance = 2 * jvp_tolerance + LOOSE_RELATIVE * abs(projected)
    else:
        reverse = sum(
            abs(v) * SAFETY * b for v, b in zip(direction, analysis.gradient_bound, strict=True)
        )
        rounding = len(products) * UNIT_ROUNDOFF * sum(abs(p) for p in products)
        tolerance = jvp_tolerance + reverse + rounding + TINY
    row = Row(name, projected, {}, tolerance)
    mismatch = _mismatch(target.jvp, projected, tolerance)
    if mismatch is None:
        return Judgement(Verdict.AGREE, "agree", name), row
    verdict, _ = mismatch
    error = abs(target.jvp - projected)
    explanation = (
        f"forward and reverse mode disagree: J v = {target.jvp!r} (forward) but "
        f"∇f · v = {projected!r} (the target's reverse-mode gradient projected on v): "
        f"off by {error:.3g}, tolerance {tolerance:.3g}"
    )
    return Judgement(verdict, explanation, name), row


def _hessian_quantities(program: Program, target: HessianOutcome, answered, sizes):
    """One quantity per entry, with the tolerance of the module docstring (``sizes``: the
    absolute Hessian, or None where the exact analysis does not apply)."""
    n = program.n_inputs
    scale_source = answered.get("mpmath") or next(iter(answered.values()))
    finite = [abs(x) for row in scale_source.rows for x in row if math.isfinite(x)]
    largest = max(finite, default=0.0)
    rounding = ROUNDING_PER_STEP * len(program) * UNIT_ROUNDOFF
    quantities = []
    for i in range(n):
        for j in range(n):
            numbers = {name: (o.rows[i][j], o.entry_error(i, j)) for name, o in answered.items()}
            own = scale_source.rows[i][j]
            own = abs(own) if math.isfinite(own) else 0.0
            tolerance = SECOND_ORDER_RELATIVE * max(own, NORMWISE * largest) + TINY
            if sizes is not None:
                tolerance += rounding * sizes[i][j]
            quantities.append(Quantity(f"d2/dx{i}dx{j}", target.rows[i][j], numbers, tolerance))
    return quantities


def absolute_hessian(program: Program, point) -> list[list[float]] | None:
    """The second-order chain rule summed in absolute values, from the exact local slopes:
    ``|H|_ij = sum_k G_k sum_ab |s_ab| T_ai T_bj``, with ``T`` the tangents and ``G`` the
    adjoints themselves propagated in absolute values. The size of the terms a float64
    engine adds up for entry ``(i, j)``; None where the exact analysis does not apply."""
    try:
        _, values, digits = values_at_working_precision(program, point)
        with mpmath.workdps(digits):
            slopes = [step_slopes(program, k, values, digits) for k in range(len(program))]
    except NotApplicable:
        return None
    n = program.n_inputs
    tangents = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for local in slopes:
        row = [0.0] * n
        for operand, slope in zip(local.operands, local.first, strict=True):
            for i in range(n):
                row[i] += float(abs(slope)) * tangents[operand][i]
        tangents.append(row)
    adjoints = [0.0] * program.n_values
    adjoints[-1] = 1.0
    for position in range(len(program) - 1, -1, -1):
        local = slopes[position]
        for operand, slope in zip(local.operands, local.first, strict=True):
            adjoints[operand] += float(abs(slope)) * adjoints[n + position]
    sizes = [[0.0] * n for _ in range(n)]
    for position, local in enumerate(slopes):
        weight = adjoints[n + position]
        for a, first in enumerate(local.operands):
            for b, second in enumerate(local.operands):
                curvature = weight * float(abs(local.second[a][b]))
                for i in range(n):
                    for j in range(n):
                        sizes[i][j] += curvature * tangents[first][i] * tangents[second][j]
    return sizes


def _worst(judgements: list[Judgement], ill_conditioned: str | None) -> Judgement:
    worst = min(judgements, key=lambda j: SEVERITY.index(j.verdict))
    doubtful = {Verdict.TARGET_BUG, Verdict.NAN_INF_MISMATCH, Verdict.REFERENCES_DISAGREE}
    notes = tuple(note for j in judgements for note in j.notes)
    # Other quantities wrong at the same point (J v and forward vs reverse) are said too.
    notes += tuple(
        f"also {j.explanation}" for j in judgements if j.verdict.is_bug and j is not worst
    )
    if worst.verdict in doubtful and ill_conditioned:
        return Judgement(
            Verdict.ILL_CONDITIONED,
            f"{worst.explanation}; but {ill_conditioned}",
            worst.quantity,
            notes,
        )
    return Judgement(worst.verdict, worst.explanation, worst.quantity, notes)


# --- the result document --------------------------------------------------------------------------


def case_to_json(result: HigherOrderResult) -> dict:
    """A ``jvp`` or ``hessian`` case in the result document (see :mod:`oracle.results`).

    It has the keys of every case. ``target`` and ``references`` hold what each engine
    returned at the worst point (``value`` and ``jvp``, or ``hessian``, with error estimates
    where the engine has them); their ``gradient`` is the target's reverse-mode gradient where
    the forward-vs-reverse check read it, else one ``"-"`` per input (not computed).
    ``tolerance`` is null: the per-quantity tolerances are in ``quantities``, one row per
    quantity (``quantity``, ``target``, one key per reference, ``tolerance``). A ``jvp`` case
    adds its ``direction``.
    """
    point = result.worst_point
    program = result.case.program
    analysis = result.analyses[point]
    placeholder = ["-"] * program.n_inputs
    target = {**result.target[point].to_json(), "gradient": placeholder}
    if result.gradients is not None and result.gradients[point].ok:
        target["gradient"] = [json_float(g) for g in result.gradients[point].gradient]
    data = {
        "id": result.bug_id,
        "verdict": result.verdict.value,
        "explanation": result.judgement.explanation,
        "quantity": result.judgement.quantity,
        "notes": list(result.judgement.notes),
        "family": result.family,
        "program": program.to_json(),
        "program_python": program.to_python(),
        "steps": len(program),
        "point": [json_float(x) for x in result.case.points[point]],
        "target": target,
        "references": {
            name: {**outcomes[point].to_json(), "gradient": placeholder}
            for name, outcomes in result.references.items()
        },
        "tolerance": None,
        "ill_conditioned": analysis.ill_conditioned if analysis is not None else None,
        "quantities": [row.to_json() for row in result.rows[point]],
    }
    if isinstance(result.case, DirectedCase):
        data["direction"] = [json_float(v) for v in result.case.direction]
    return data


def _json_number(number):
    return json_float(number) if isinstance(number, float) else number
