"""Verdicts: how a target's outcome at one case is judged against the references.

A *case* is a program at one input point. The quantities compared are the output value and
each entry of the gradient. The policy, per quantity:

1. **Tolerance.** Where the exact analysis applies (finite inputs, defined exact values), the
   tolerance is ``SAFETY * bound``, with ``bound`` the first-order error bound of a correct
   float64 engine at this very case (:mod:`oracle.exact`: rounding of every op, propagated
   forward and backward, including the rounding of local slopes); references with their own
   error estimate (finite differences, the ground truth) add it. There is no global atol: a
   well-conditioned case gets a tolerance near 1e-15 relative, so a derivative wrong by a
   relative 1e-7 stands out, while a cancelling case gets what its conditioning needs.
   Where the analysis does not apply (``edge`` points: inf, nan, poles), finite numbers are
   compared at :data:`LOOSE_RELATIVE`.
2. **Consensus.** The ground truth (``mpmath``) anchors it when present: the float64 references
   (torch, jax) that agree with it join the consensus, those that do not make the case
   *references disagree*; finite differences that miss the anchor by more than their own
   error estimate are *fd unreliable* and are left out. Without a ground truth, torch and jax
   must agree with each other; finite differences are used when they are the only reference.
   At a kink, the ground truth gives the two one-sided derivatives and the consensus is the
   interval between them.
3. **Special values** are compared exactly: nan matches only nan, inf only the same inf.
   Signed zeros compare equal (``-0.0 == 0.0``); a sign difference is noted, not failed.
4. **Verdict.** A target that raises where a reference returns numbers is *exception
   divergence*; a special-value difference is *nan-inf mismatch*; a finite difference beyond
   tolerance is *target bug*, unless the analysis says the first-order bound cannot be trusted
   at this case (*ill-conditioned*); there, references that disagree are no surprise either,
   and the case is *ill-conditioned* too.
5. **Conventions at kinks** (see :mod:`oracle.conventions`). The caller may name the kinks the
   case sits on (``kinks``: ``abs'(0) (torch 0.0, jax 1.0)``). Inside the one-sided interval
   the verdict stays *agree* (a subgradient is not a bug), but where the target differs from
   torch or jax there the judgement says whose convention it follows, in a note and in
   ``conventions`` (``abs'(0) (torch 0.0, jax 1.0): follows jax``), or that it is *inside the
   interval, no known convention*. Outside the interval it stays a *target bug* (or *nan-inf
   mismatch*), and the explanation names the kink, even where the analysis doubts the case
   only because an operand sits on that kink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from oracle.exact import KINK_DOUBT, Analysis
from oracle.outcome import Outcome

SAFETY = 4.0
LOOSE_RELATIVE = 1e-8
TINY = 1e-300  # absolute floor: below it, float64 gradients underflow anyway
UNIT_ROUNDOFF = 2.0**-53
FLOAT64_REFERENCES = ("torch", "jax")
_PREFERRED_WITNESS = ("torch", "jax", "mpmath", "fd")  # which answer an explanation quotes


class Verdict(str, Enum):
    AGREE = "agree"
    TARGET_BUG = "target bug"
    EXCEPTION_DIVERGENCE = "exception divergence"
    NAN_INF_MISMATCH = "nan-inf mismatch"
    ILL_CONDITIONED = "ill-conditioned"
    REFERENCES_DISAGREE = "references disagree"
    FD_UNRELIABLE = "fd unreliable"

    @property
    def is_bug(self) -> bool:
        return self in BUG_VERDICTS

    def __str__(self) -> str:
        return self.value


BUG_VERDICTS = frozenset(
    {Verdict.TARGET_BUG, Verdict.EXCEPTION_DIVERGENCE, Verdict.NAN_INF_MISMATCH}
)
# Most severe first: a case gets the most severe verdict of its quantities.
SEVERITY = (
    Verdict.EXCEPTION_DIVERGENCE,
    Verdict.TARGET_BUG,
    Verdict.NAN_INF_MISMATCH,
    Verdict.ILL_CONDITIONED,
    Verdict.REFERENCES_DISAGREE,
    Verdict.FD_UNRELIABLE,
    Verdict.AGREE,
)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    explanation: str
    quantity: str | None = None  # "value" or "d/dx0"... where the verdict was found
    notes: tuple[str, ...] = field(default=())
    # At a kink, inside the one-sided interval, where the target and a reference differ: the
    # kinks and whose convention the target follows (see oracle.conventions).
    conventions: tuple[str, ...] = field(default=())


class WorstOfPoints:
    """For a case judged point by point (``judgements``, one per point): the point with the
    most severe verdict, and that verdict and judgement, which stand for the case."""

    judgements: list[Judgement]

    @property
    def worst_point(self) -> int:
        return min(
            range(len(self.judgements)),
            key=lambda p: SEVERITY.index(self.judgements[p].verdict),
        )

    @property
    def verdict(self) -> Verdict:
        return self.judgements[self.worst_point].verdict

    @property
    def judgement(self) -> Judgement:
        return self.judgements[self.worst_point]


@dataclass(frozen=True)
class Consensus:
    """What the references say about one quantity: a number (or interval) and its slack."""

    low: float
    high: float
    slack: float  # the reference's own error, added to the tolerance
    disagreeing: tuple[str, ...] = ()
    unreliable_fd: bool = False
    interval: bool = False  # True at a kink: [low, high] spans the one-sided derivatives

    @property
    def expected(self) -> float | None:
        return None if self.interval else self.low


def quantity_names(n_inputs: int) -> list[str]:
    return ["value", *(f"d/dx{i}" for i in range(n_inputs))]


def quantities(outcome: Outcome) -> list[float]:
    return [outcome.value, *outcome.gradient]


def _error_estimates(outcome: Outcome) -> list[float]:
    if outcome.gradient_error is None:
        return [0.0] * (1 + len(outcome.gradient))
    return [outcome.value_error, *outcome.gradient_error]


def judge(
    target: Outcome,
    references: dict[str, Outcome],
    analysis: Analysis | None,
    kinks: tuple[str, ...] = (),
) -> Judgement:
    """The verdict for one case; ``kinks`` names the kinks it sits on, if any (rule 5)."""
    answered = {name: o for name, o in references.items() if o.ok}
    if not target.ok:
        if answered:
            name = min(answered, key=_witness_rank)
            reference = answered[name]
            return Judgement(
                Verdict.EXCEPTION_DIVERGENCE,
                f"the target raised {target.error}, where {name} returned "
                f"value {reference.value!r}",
            )
        return Judgement(Verdict.AGREE, "the target and every reference failed alike")
    if not answered:
        failures = "; ".join(f"{n}: {o.error}" for n, o in references.items())
        return Judgement(
            Verdict.REFERENCES_DISAGREE, f"no reference could evaluate this case ({failures})"
        )
    bounds = _bounds(analysis, len(target.gradient))
    judgements = [
        _judge_quantity(name, index, target, answered, bounds, kinks)
        for index, name in enumerate(quantity_names(len(target.gradient)))
    ]
    worst = min(judgements, key=lambda j: SEVERITY.index(j.verdict))
    doubtful = BUG_VERDICTS | {Verdict.REFERENCES_DISAGREE}
    if (
        worst.verdict in doubtful
        and analysis is not None
        and analysis.ill_conditioned
        and not _outside_a_kink(worst, answered, kinks, analysis)
    ):
        worst = Judgement(
            Verdict.ILL_CONDITIONED,
            f"{worst.explanation}; but {analysis.ill_conditioned}",
            worst.quantity,
        )
    notes = tuple(note for j in judgements for note in j.notes)
    conventions = tuple(label for j in judgements for label in j.conventions)
    return Judgement(worst.verdict, worst.explanation, worst.quantity, notes, conventions)


def _outside_a_kink(worst: Judgement, references, kinks, analysis: Analysis) -> bool:
    """A bug against the one-sided interval, at a kink the case sits on exactly, where the only
    doubt the analysis raises is that kink.

    Such a bug stays a bug (rule 5): whichever side of the kink a correct engine's rounded
    operand falls on, its derivative is one of the one-sided derivatives, so a value outside
    the interval between them is wrong whatever the rounding.
    """
    truth = references.get("mpmath")
    return (
        worst.verdict.is_bug
        and bool(kinks)
        and worst.quantity not in (None, "value")
        and truth is not None
        and truth.one_sided is not None
        and analysis.ill_conditioned.endswith(KINK_DOUBT)
    )


def _witness_rank(name: str) -> int:
    return _PREFERRED_WITNESS.index(name) if name in _PREFERRED_WITNESS else len(_PREFERRED_WITNESS)


def _bounds(analysis: Analysis | None, n_inputs: int) -> list[float] | None:
    if analysis is None:
        return None
    return analysis.bounds[: 1 + n_inputs]


def _tolerance(bounds, index, a: float, b: float) -> float:
    if bounds is None:
        return LOOSE_RELATIVE * max(abs(a), abs(b)) + TINY
    return SAFETY * bounds[index] + TINY


def _judge_quantity(name, index, target, references, bounds, kinks=()) -> Judgement:
    consensus = _consensus(index, references, bounds)
    if consensus is None:
        described = ", ".join(f"{n} {quantities(o)[index]!r}" for n, o in references.items())
        return Judgement(
            Verdict.REFERENCES_DISAGREE, f"{name}: references disagree ({described})", name
        )
    got = quantities(target)[index]
    notes = []
    if consensus.disagreeing:
        notes.append(f"{name}: {', '.join(consensus.disagreeing)} disagreed with the consensus")
    mismatch = _mismatch(got, consensus, bounds, index)
    if consensus.interval and kinks:
        where = "; ".join(kinks)
        if mismatch is not None:
            mismatch = (mismatch[0], f"{mismatch[1]}, at a kink: {where}")
        if consensus.disagreeing:
            notes[0] += f" at a kink: {where}"
    if mismatch is None:
        if consensus.disagreeing:
            return Judgement(Verdict.REFERENCES_DISAGREE, notes[0], name, tuple(notes))
        labels = ()
        if consensus.interval:
            convention = _convention(name, index, got, references, bounds, consensus, kinks)
            if convention is not None:
                notes.append(convention[0])
                labels = (convention[1],)
        if consensus.unreliable_fd:
            explanation = f"{name}: fd missed"
            return Judgement(Verdict.FD_UNRELIABLE, explanation, name, tuple(notes), labels)
        return Judgement(Verdict.AGREE, "agree", name, tuple(notes), labels)
    verdict, explanation = mismatch
    return Judgement(verdict, f"{name}: {explanation}", name, tuple(notes))


def _convention(name, index, got, references, bounds, consensus, kinks):
    """At a kink, inside the interval: whose convention the target follows, as a note and a
    label, where it differs from torch or jax (None where it matches every one of them)."""
    answers = {n: quantities(references[n])[index] for n in FLOAT64_REFERENCES if n in references}
    tolerance = _tolerance(bounds, index, got, consensus.high) + consensus.slack
    differing = [n for n, answer in answers.items() if not _close(got, answer, tolerance)]
    if not differing:
        return None
    following = [n for n in answers if n not in differing]
    who = f"follows {' and '.join(following)}" if following else "follows no known convention"
    where = "; ".join(kinks) or "a kink"
    others = ", ".join(f"{n} gives {answers[n]!r}" for n in differing)
    note = (
        f"{name}: at {where}, the target's {got!r} {who}; {others}; all lie inside the "
        f"one-sided derivatives [{consensus.low!r}, {consensus.high!r}]"
    )
    label = who if following else "inside the interval, no known convention"
    return note, f"{where}: {label}"


def _mismatch(got: float, consensus: Consensus, bounds, index):
    expected = consensus.expected
    if not (math.isfinite(got) and math.isfinite(consensus.low) and math.isfinite(consensus.high)):
        if expected is not None and _same_special(got, expected):
            return None
        shown = expected if expected is not None else (consensus.low, consensus.high)
        return Verdict.NAN_INF_MISMATCH, f"target {got!r}, references {shown!r}"
    tolerance = _tolerance(bounds, index, got, consensus.high) + consensus.slack
    if consensus.low - tolerance <= got <= consensus.high + tolerance:
        return None
    if expected is None:
        return Verdict.TARGET_BUG, (
            f"target {got!r} lies outside the one-sided derivatives "
            f"[{consensus.low!r}, {consensus.high!r}]"
        )
    error = abs(got - expected)
    relative = error / abs(expected) if expected else math.inf
    return Verdict.TARGET_BUG, (
        f"target {got!r}, references {expected!r}: off by {error:.3g} "
        f"(relative {relative:.3g}), tolerance {tolerance:.3g}"
    )


def _same_special(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b  # infinities of the same sign (finite values never reach here equal)


def _consensus(index, references: dict[str, Outcome], bounds) -> Consensus | None:
    if "mpmath" in references:
        return _anchored(index, references, bounds)
    floats = {n: quantities(o)[index] for n, o in references.items() if n in FLOAT64_REFERENCES}
    if floats:
        values = list(floats.values())
        first = values[0]
        for other in values[1:]:
            if not _close(first, other, 2 * _tolerance(bounds, index, first, other)):
                return None
        unreliable = "fd" in references and not _fd_agrees(index, references["fd"], first, bounds)
        return Consensus(first, first, 0.0, unreliable_fd=unreliable)
    fd = references["fd"]
    estimate, error = quantities(fd)[index], _error_estimates(fd)[index]
    if not math.isfinite(error) or error > 1e-6 * abs(estimate):
        return None  # finite differences alone, and unreliable here
    return Consensus(estimate, estimate, error)


def _anchored(index, references, bounds) -> Consensus | None:
    truth = references["mpmath"]
    anchor = quantities(truth)[index]
    slack = _error_estimates(truth)[index] + UNIT_ROUNDOFF * abs(anchor)
    interval = truth.one_sided is not None and index > 0
    low, high = sorted(truth.one_sided[index - 1]) if interval else (anchor, anchor)
    disagreeing = []
    for name in FLOAT64_REFERENCES:
        if name in references:
            value = quantities(references[name])[index]
            tolerance = _tolerance(bounds, index, value, anchor) + slack
            if not (low - tolerance <= value <= high + tolerance or _same_special(value, anchor)):
                disagreeing.append(name)
    if disagreeing and len(disagreeing) == sum(n in references for n in FLOAT64_REFERENCES):
        return None  # no float64 engine backs the ground truth: do not judge on it alone
    unreliable = "fd" in references and not _fd_agrees(index, references["fd"], anchor, bounds)
    return Consensus(low, high, slack, tuple(disagreeing), unreliable, interval)


def _fd_agrees(index, fd: Outcome, expected: float, bounds) -> bool:
    estimate, error = quantities(fd)[index], _error_estimates(fd)[index]
    if not math.isfinite(expected):
        return _same_special(estimate, expected)
    return _close(estimate, expected, error + _tolerance(bounds, index, estimate, expected))


def _close(a: float, b: float, tolerance: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return _same_special(a, b)
    return abs(a - b) <= tolerance
