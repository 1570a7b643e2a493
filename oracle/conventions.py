"""Convention profiles: what each engine answers at kinks and special points, and what a target
answers there.

At a kink (``relu`` and ``abs`` at 0, ``x ** 0`` at 0) the derivative does not exist, and every
engine picks a value: torch says ``abs'(0) = 0``, jax says ``abs'(0) = 1``. At a domain edge or
a pole (``sqrt``, ``log`` and ``x ** 0.5`` at 0, a division by zero) every engine follows IEEE
arithmetic, and the sign of a zero decides the sign of an infinity. At a nan input the
derivative means nothing, yet engines still answer, differently (``relu'(nan)``: torch 1, jax
0). None of these answers is wrong as long as it lies between the one-sided derivatives; a
value outside them is a bug.

The module has three parts.

1. **The declared table** (:data:`SPECIAL_POINTS`): one row per special point, each a one-step
   program at one input (``abs(x0)`` at ``x0 = 0.0``) and the quantity looked at (the value, or
   ``d/dx0``), with the answer of every known engine (:data:`ENGINES`): a number, ``raises
   ZeroDivisionError``, or ``unsupported``. The answers were read off the installed libraries
   and ``tests/oracle/test_conventions.py`` checks every one of them against the library
   again, so a new torch or jax that changes a convention fails a test instead of silently
   misjudging. The oracle's op set has no ``max``: its tie (``max(x, x)``) is not a row, and
   ``relu(x) = max(x, 0)`` is the nearest thing (HIPS autograd's relu, ``np.maximum``, splits
   the tie and says 0.5).

2. **The observed row** (:func:`probe`): a target is run once on every special point of the
   ops it supports, and each answer is judged (:func:`judge_row`) against the one-sided
   interval, from the high-precision ground truth's one-sided derivatives
   (:mod:`oracle.references.ground_truth`, which knows only the forward semantics), and
   against torch's and jax's declared answers:

   - inside the interval (or, where the ground truth is undefined, equal to the references):
     *follows torch*, *follows jax* or *follows both*;
   - inside the interval but equal to neither reference: *inside the interval, no known
     convention*. Not a bug (any value between the one-sided derivatives is a subgradient
     that a consistent engine may choose), but reported, since code tuned on torch or jax will
     see a third answer;
   - outside the interval: *outside the interval: bug*, whatever a reference says (jax's nan
     for ``d/dx x ** 0`` at 0 is one: the function is constant and both one-sided derivatives
     are 0);
   - where the ground truth is undefined (a pole, a domain edge, a nan input) and the target
     differs from torch and jax alike, or raises where they return numbers: a bug too; where
     torch and jax differ there too (``abs'(nan)``) and the target takes a third answer, the
     row says so (*torch and jax differ, and so does the target*), not a bug.

   The rows go into the ``edge`` family's result and report (:mod:`oracle.report`), so the
   report shows the target's convention profile next to torch's and jax's.

3. **Kinks in drawn programs** (:func:`kink_labels`): which special points a case of a campaign
   sits on, named from the table (``abs'(0)``), so that :func:`oracle.compare.judge` can say
   which convention a target follows inside a bigger program.

Why judge by the interval and not by a reference: at a kink any subgradient is a defensible
choice, and both references already disagree with each other (``abs'(0)``); the interval is the
only arbiter that does not take sides. Why declare the references' answers instead of running
torch and jax at every campaign: the table is the profile the report compares against, it needs
neither library installed, and the declarations are tested, so they cannot drift.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import mpmath

from oracle.compare import LOOSE_RELATIVE, TINY
from oracle.exact import NotApplicable, exact_values, kinked_operand
from oracle.outcome import Outcome, json_float
from oracle.program import Const, Program, Step
from oracle.references.ground_truth import GroundTruth
from oracle.strategies import Case

# The engines whose answers the table declares; the first two are the references.
ENGINES = ("torch", "jax", "refgrad", "micrograd", "autograd", "mygrad")
REFERENCES = ("torch", "jax")
UNSUPPORTED = "unsupported"  # the engine has no such op
RAISES = "raises "  # prefix: "raises ZeroDivisionError"
ZERO_DIVISION = RAISES + "ZeroDivisionError"

# Verdicts of a row.
FOLLOWS_BOTH = "follows both"
FOLLOWS_TORCH = "follows torch"
FOLLOWS_JAX = "follows jax"
NO_KNOWN_CONVENTION = "inside the interval, no known convention"
OUTSIDE = "outside the interval: bug"
DIFFERS = "differs from torch and jax: bug"
RAISES_BUG = "raises where torch and jax return numbers: bug"
REFERENCES_SPLIT = "torch and jax differ, and so does the target"

Answer = float | str  # a number, UNSUPPORTED, or RAISES + an exception type


@dataclass(frozen=True, eq=False)  # rows of one table: identity equality, hashable
class SpecialPoint:
    """A kink or special point: a one-step program at one input, and every engine's answer."""

    label: str  # how reports name it: "abs'(0)"
    program: Program
    x: float  # the input
    quantity: str  # "value" or "d/dx0"
    answers: Mapping[str, Answer]  # engine -> its answer (see ENGINES)
    why: str  # where the answers come from
    signed: bool = False  # the sign of a zero answer matters (-0.0 is not 0.0 here)

    @property
    def op(self) -> str:
        return self.program.steps[0].op

    @property
    def index(self) -> int:
        """Where the quantity sits in ``[value, *gradient]``."""
        return 0 if self.quantity == "value" else 1

    def case(self) -> Case:
        return Case("edge", self.program, ((self.x,),))


def _unary(op: str) -> Program:
    return Program(1, (Step(op, (0,)),))


def _power(exponent: float) -> Program:
    return Program(1, (Step("pow", (0, Const(exponent))),))


def _point(label, program, x, quantity, why, *, signed=False, **answers) -> SpecialPoint:
    missing = [engine for engine in ENGINES if engine not in answers]
    if missing or len(answers) != len(ENGINES):
        raise ValueError(f"special point {label}: declare exactly {ENGINES}, not {tuple(answers)}")
    return SpecialPoint(label, program, x, quantity, answers, why, signed)


INF = math.inf
NAN = math.nan
_BY_TORCH = "refgrad follows torch's formulas (refgrad/ops.py)"

SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    _point(
        "relu'(0)",
        _unary("relu"),
        0.0,
        "d/dx0",
        "torch and jax pass no gradient at 0; autograd's relu is np.maximum(x, 0.0), which "
        "splits a tie evenly (0.5 to each side)",
        torch=0.0,
        jax=0.0,
        refgrad=0.0,
        micrograd=0.0,
        autograd=0.5,
        mygrad=0.0,
    ),
    _point(
        "relu'(-0.0)",
        _unary("relu"),
        -0.0,
        "d/dx0",
        "as at +0.0: -0.0 is the same kink",
        torch=0.0,
        jax=0.0,
        refgrad=0.0,
        micrograd=0.0,
        autograd=0.5,
        mygrad=0.0,
    ),
    _point(
        "relu(-0.0)",
        _unary("relu"),
        -0.0,
        "value",
        "torch keeps x unless x < 0, so -0.0 stays -0.0; jax computes max(x, 0.0), which "
        "returns +0.0",
        signed=True,
        torch=-0.0,
        jax=0.0,
        refgrad=-0.0,
        micrograd=-0.0,
        autograd=0.0,
        mygrad=-0.0,
    ),
    _point(
        "abs'(0)",
        _unary("abs"),
        0.0,
        "d/dx0",
        "torch: grad * sign(x) with sign(0) = 0; jax: the sign of a zero taken as +1",
        torch=0.0,
        jax=1.0,
        refgrad=0.0,
        micrograd=UNSUPPORTED,
        autograd=0.0,
        mygrad=0.0,
    ),
    _point(
        "abs'(-0.0)",
        _unary("abs"),
        -0.0,
        "d/dx0",
        "as at +0.0: jax takes +1 for -0.0 too",
        torch=0.0,
        jax=1.0,
        refgrad=0.0,
        micrograd=UNSUPPORTED,
        autograd=0.0,
        mygrad=0.0,
    ),
    _point(
        "relu'(nan)",
        _unary("relu"),
        NAN,
        "d/dx0",
        "torch passes the gradient unless the result is <= 0, which nan is not; jax passes it "
        "where x > 0, which nan is not either",
        torch=1.0,
        jax=0.0,
        refgrad=1.0,
        micrograd=0.0,
        autograd=0.0,
        mygrad=0.0,
    ),
    _point(
        "abs'(nan)",
        _unary("abs"),
        NAN,
        "d/dx0",
        "torch: sign(nan) taken as 0; jax: +1 where x >= 0, else -1, and nan is not >= 0; "
        "autograd: sign(nan) = nan",
        torch=0.0,
        jax=-1.0,
        refgrad=0.0,
        micrograd=UNSUPPORTED,
        autograd=NAN,
        mygrad=0.0,
    ),
    _point(
        "sqrt'(0)",
        _unary("sqrt"),
        0.0,
        "d/dx0",
        "1 / (2 * sqrt(0)) = +inf, the derivative from the right; autograd computes "
        "0.5 * x ** -0.5 on a Python float, which raises",
        torch=INF,
        jax=INF,
        refgrad=INF,
        micrograd=UNSUPPORTED,
        autograd=ZERO_DIVISION,
        mygrad=INF,
    ),
    _point(
        "sqrt'(-0.0)",
        _unary("sqrt"),
        -0.0,
        "d/dx0",
        "IEEE: sqrt(-0.0) = -0.0, so 1 / (2 * -0.0) = -inf",
        torch=-INF,
        jax=-INF,
        refgrad=-INF,
        micrograd=UNSUPPORTED,
        autograd=ZERO_DIVISION,
        mygrad=-INF,
    ),
    _point(
        "log'(0)",
        _unary("log"),
        0.0,
        "d/dx0",
        "1 / 0 = +inf (log(0) = -inf)",
        torch=INF,
        jax=INF,
        refgrad=INF,
        micrograd=UNSUPPORTED,
        autograd=INF,
        mygrad=INF,
    ),
    _point(
        "log'(-0.0)",
        _unary("log"),
        -0.0,
        "d/dx0",
        "1 / -0.0 = -inf",
        torch=-INF,
        jax=-INF,
        refgrad=-INF,
        micrograd=UNSUPPORTED,
        autograd=-INF,
        mygrad=-INF,
    ),
    _point(
        "(x / 0)' at x = 0",
        Program(1, (Step("div", (0, Const(0.0))),)),
        0.0,
        "d/dx0",
        "d/dx x / y = 1 / y = +inf (the value 0 / 0 is nan); micrograd divides as "
        "x * y ** -1, which raises",
        torch=INF,
        jax=INF,
        refgrad=INF,
        micrograd=ZERO_DIVISION,
        autograd=INF,
        mygrad=INF,
    ),
    _point(
        "(1 / x)' at x = 0",
        Program(1, (Step("div", (Const(1.0), 0)),)),
        0.0,
        "d/dx0",
        "-1 / x ** 2 = -inf",
        torch=-INF,
        jax=-INF,
        refgrad=-INF,
        micrograd=ZERO_DIVISION,
        autograd=-INF,
        mygrad=-INF,
    ),
    _point(
        "(x ** 0.5)' at 0",
        _power(0.5),
        0.0,
        "d/dx0",
        "0.5 * 0 ** -0.5 = +inf, the derivative from the right; micrograd and autograd raise "
        "on Python floats",
        torch=INF,
        jax=INF,
        refgrad=INF,
        micrograd=ZERO_DIVISION,
        autograd=ZERO_DIVISION,
        mygrad=INF,
    ),
    _point(
        "(x ** 1.0)' at 0",
        _power(1.0),
        0.0,
        "d/dx0",
        "1 * 0 ** 0 = 1",
        torch=1.0,
        jax=1.0,
        refgrad=1.0,
        micrograd=1.0,
        autograd=1.0,
        mygrad=1.0,
    ),
    _point(
        "(x ** 1.5)' at 0",
        _power(1.5),
        0.0,
        "d/dx0",
        "1.5 * 0 ** 0.5 = 0, the derivative from the right",
        torch=0.0,
        jax=0.0,
        refgrad=0.0,
        micrograd=0.0,
        autograd=0.0,
        mygrad=0.0,
    ),
    _point(
        "0 ** 0",
        _power(0.0),
        0.0,
        "value",
        "IEEE pow(0, 0) = 1; micrograd's backward computes 0 * 0 ** -1 and raises",
        torch=1.0,
        jax=1.0,
        refgrad=1.0,
        micrograd=ZERO_DIVISION,
        autograd=1.0,
        mygrad=1.0,
    ),
    _point(
        "(x ** 0)' at 0",
        _power(0.0),
        0.0,
        "d/dx0",
        "x ** 0 is constant, so both one-sided derivatives are 0; torch special-cases the "
        "exponent 0; jax answers nan, what 0 * 0 ** -1 = 0 * inf gives",
        torch=0.0,
        jax=NAN,
        refgrad=0.0,
        micrograd=ZERO_DIVISION,
        autograd=0.0,
        mygrad=0.0,
    ),
)


# --- judging one answer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """What the ground truth says about a special point's quantity: the exact value, the two
    one-sided derivatives, or (at a domain edge) the derivative from the side where the
    function is defined."""

    low: float | None  # None: no interval here (see reason)
    high: float | None
    slack: float = 0.0  # the estimate's own error
    reason: str = ""  # why there is no interval
    side: str = ""  # "from the right" at a domain edge; "" for two sides or a value

    @property
    def known(self) -> bool:
        return self.low is not None

    def contains(self, number: float) -> bool:
        if not self.known or math.isnan(number):
            return False
        if math.isinf(self.low) or math.isinf(self.high):
            return self.low <= number <= self.high
        tolerance = LOOSE_RELATIVE * max(abs(self.low), abs(self.high)) + TINY + self.slack
        return self.low - tolerance <= number <= self.high + tolerance

    def text(self) -> str:
        if not self.known:
            return f"none ({self.reason})"
        if self.side:  # one side only: a single number
            return f"{_number_text(self.low)} {self.side}"
        return f"[{_number_text(self.low)}, {_number_text(self.high)}]"


@cache
def interval(point: SpecialPoint) -> Interval:
    """The ground truth's exact value or one-sided derivatives at ``point``; where it is
    undefined because one side leaves the domain (``sqrt`` at 0), the derivative from the
    other side, if the sign of the zero input says the point is approached from there."""
    truth = GroundTruth().evaluate_point(point.program, (point.x,))
    if truth.ok and point.quantity == "value":
        return Interval(truth.value, truth.value, truth.value_error)
    if truth.ok:
        low, high = truth.one_sided[0] if truth.one_sided else (truth.gradient[0],) * 2
        return Interval(min(low, high), max(low, high), truth.gradient_error[0])
    reason = truth.error.removeprefix("no ground truth: ")
    if point.quantity == "d/dx0" and point.x == 0.0:
        return _domain_edge(point, reason)
    return Interval(None, None, reason=reason)


EDGE_STEPS = (mpmath.mpf("1e-10"), mpmath.mpf("1e-20"), mpmath.mpf("1e-30"))
EDGE_DIGITS = 60


def _domain_edge(point: SpecialPoint, reason: str) -> Interval:
    """The one-sided derivative at a zero input ``point.x``, from the side its sign names
    (+0.0: the right, -0.0: the left, as IEEE arithmetic reads a signed zero).

    Difference quotients at steps 1e-10, 1e-20 and 1e-30: if each is over 1e3 times the last
    (``sqrt``: the quotient is ``h ** -0.5``) the derivative is infinite; otherwise the last
    quotient is the estimate and its change the error, and an estimate below its error is 0
    (``x ** 1.5``: ``h ** 0.5``). The table's points are all at zero, where mpmath's floats
    lose nothing to cancellation.
    """
    side = 1 if math.copysign(1.0, point.x) > 0 else -1
    with mpmath.workdps(EDGE_DIGITS):
        try:
            at_zero = exact_values(point.program, [mpmath.mpf(0)])[-1]
        except NotApplicable:  # undefined at 0 itself: a pole, log(0)
            return Interval(None, None, reason=reason)
        try:
            quotients = [
                (exact_values(point.program, [side * h])[-1] - at_zero) / (side * h)
                for h in EDGE_STEPS
            ]
        except NotApplicable:
            return Interval(None, None, reason=f"{reason}; -0.0 reads as the left side")
    named = "from the right" if side > 0 else "from the left"
    first, middle, last = (abs(q) for q in quotients)
    if middle > 1e3 * first and last > 1e3 * middle:
        infinite = math.copysign(math.inf, float(quotients[-1]))
        return Interval(infinite, infinite, side=named)
    error = float(abs(quotients[-1] - quotients[-2]))
    estimate = 0.0 if last <= error else float(quotients[-1])
    return Interval(estimate, estimate, error, side=named)


def observed_answer(point: SpecialPoint, outcome: Outcome) -> Answer:
    """A target's outcome at ``point`` as an :data:`Answer`."""
    if not outcome.ok:
        return RAISES + outcome.error.split(":")[0]
    return [outcome.value, *outcome.gradient][point.index]


def same_answer(a: Answer, b: Answer, signed: bool = False) -> bool:
    """Equal answers: the same string, both nan, or numbers equal within LOOSE_RELATIVE (and,
    where ``signed``, zeros of the same sign)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if signed and a == 0.0 and b == 0.0:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= LOOSE_RELATIVE * max(abs(a), abs(b)) + TINY


def judge_row(point: SpecialPoint, answer: Answer) -> tuple[str, bool]:
    """The verdict on a target's ``answer`` at ``point``, and whether it is a bug."""
    torch, jax = (point.answers[name] for name in REFERENCES)
    follows = [
        name for name in REFERENCES if same_answer(answer, point.answers[name], point.signed)
    ]
    if isinstance(answer, str):
        if follows:
            return _follows(follows), False
        return RAISES_BUG, True
    bounds = interval(point)
    if bounds.known and not bounds.contains(answer):
        return OUTSIDE, True
    if follows:
        return _follows(follows), False
    if bounds.known:
        return NO_KNOWN_CONVENTION, False
    if same_answer(torch, jax, point.signed):
        return DIFFERS, True
    return REFERENCES_SPLIT, False


def _follows(names: Sequence[str]) -> str:
    return FOLLOWS_BOTH if len(names) == len(REFERENCES) else f"follows {names[0]}"


# --- the observed table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A target's answer at one special point, next to the references' and the interval."""

    point: SpecialPoint
    answer: Answer
    verdict: str
    bug: bool

    def to_json(self) -> dict:
        bounds = interval(self.point)
        return {
            "label": self.point.label,
            "program_python": self.point.program.to_python(),
            "point": [json_float(self.point.x)],
            "quantity": self.point.quantity,
            "target": answer_json(self.answer),
            **{name: answer_json(self.point.answers[name]) for name in REFERENCES},
            "interval": [json_float(bounds.low), json_float(bounds.high)] if bounds.known else None,
            "interval_text": bounds.text(),
            "verdict": self.verdict,
            "bug": self.bug,
            "why": self.point.why,
        }


def probe(run: Callable[[Case], list[Outcome]], ops: Sequence[str]) -> list[Row]:
    """Run every special point of ``ops`` once through ``run`` (a target's evaluation of one
    case, which must not raise) and judge each answer."""
    rows = []
    for point in SPECIAL_POINTS:
        if point.op not in ops:
            continue
        answer = observed_answer(point, run(point.case())[0])
        rows.append(Row(point, answer, *judge_row(point, answer)))
    return rows


def evaluate_safely(target) -> Callable[[Case], list[Outcome]]:
    """``target.evaluate`` on one case, an adapter that raises turned into a failed outcome
    (the campaign uses its own runner, with time limits, instead)."""

    def run(case: Case) -> list[Outcome]:
        try:
            return target.evaluate(case.program, case.points)
        except Exception as error:
            return [Outcome.failure(error, case.program.n_inputs)]

    return run


def table_to_json(rows: Sequence[Row], drawn: Mapping[str, int]) -> dict:
    """The ``conventions`` entry of an edge unit in the result file (see :mod:`oracle.results`):
    the observed rows, and how often drawn cases met a convention difference (label -> points)."""
    return {
        "rows": [row.to_json() for row in rows],
        "drawn": dict(sorted(drawn.items())),
        "not_tabled": "max ties: the oracle's op set has no max op",
    }


def answer_json(answer: Answer) -> float | str:
    return answer if isinstance(answer, str) else json_float(answer)


def answer_text(answer: Answer) -> str:
    """How a table cell shows an answer (``-0.0``, ``inf``, ``nan``, ``raises ...``)."""
    if isinstance(answer, str):
        return answer
    return _number_text(answer)


def _number_text(number: float | str) -> str:
    if isinstance(number, str):  # json_float's "inf", "nan"
        return number
    return repr(float(number))


def declared_markdown() -> str:
    """The declared table as Markdown: every special point and every known engine's answer."""
    lines = [
        "| special point | " + " | ".join(ENGINES) + " | one-sided interval |",
        "|---|" + "---|" * (len(ENGINES) + 1),
    ]
    for point in SPECIAL_POINTS:
        cells = [answer_text(point.answers[engine]) for engine in ENGINES]
        lines.append(f"| {point.label} | " + " | ".join(cells) + f" | {interval(point).text()} |")
    return "\n".join(lines)


# --- kinks in drawn programs ---------------------------------------------------------------------


def kink_labels(program: Program, exact_values: Sequence | None) -> tuple[str, ...]:
    """The special points a case sits on, named from the table (``abs'(0)``), given the
    program's exact values at the case's point (None: unknown, so none named).

    Exact values have no signed zero, so ``abs`` at -0.0 is named ``abs'(0)``: the table
    declares the same answers for both.
    """
    if exact_values is None:
        return ()
    labels = []
    for step in program.steps:
        operand = kinked_operand(step)
        if operand is None or exact_values[operand] != 0:
            continue
        label = _kink_label(step)
        if label not in labels:
            labels.append(label)
    return tuple(labels)


def _kink_label(step: Step) -> str:
    for point in SPECIAL_POINTS:
        declared = point.program.steps[0]
        if point.quantity == "d/dx0" and point.x == 0.0 and _same_shape(step, declared):
            torch, jax = (answer_text(point.answers[name]) for name in REFERENCES)
            return f"{point.label} (torch {torch}, jax {jax})"
    if step.op == "pow":
        return f"(x ** {step.operands[1].value!r})' at 0"
    return f"{step.op} at 0"


def _same_shape(step: Step, declared: Step) -> bool:
    """The same op, with the same constants in the same places."""
    if step.op != declared.op or len(step.operands) != len(declared.operands):
        return False
    return all(
        isinstance(a, Const) == isinstance(b, Const) and (not isinstance(a, Const) or a == b)
        for a, b in zip(step.operands, declared.operands, strict=True)
    )
