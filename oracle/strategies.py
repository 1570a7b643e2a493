"""Hypothesis strategies for test programs and the input points they are checked at.

Public API (usable in anyone's ``@given`` tests):

* :func:`programs`: straight-line programs over a chosen op subset, with fan-out (a value used
  many times), self-operands (``x * x``, ``a + a``) and constants on either side;
* :func:`cases`: a :class:`Case` (a program and its points) of one **family**:

  - ``smooth``: every op strictly inside its smooth domain at every point, all values and
    local slopes finite and within 1e-100..1e100, inputs spread over eight decades;
    disagreements here are bugs;
  - ``deep``: residual chains ``v = v + c * cell(v)`` thousands of ops deep, where
    recursion-based engines crash;
  - ``edge``: inputs at zeros, signed zeros, inf, nan, subnormals and huge magnitudes, with
    no domain filtering, so kinks, poles and special values are hit;
  - ``stateful``: smooth programs at one point, which :mod:`oracle.stateful` runs through
    scenarios of several backward passes (not in the default families).

Programs are drawn step by step; every operand is drawn as an offset back from the newest value
and every choice shrinks toward "stop" or "the newest value", so Hypothesis shrinks a failure to
a short program over recent values. Smooth and deep programs are drawn *with* their points:
each step is checked in float64 at every point as it is drawn, and a step that leaves the
smooth domain is dropped, so no example is wasted on a late rejection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from oracle.ops import OPS, POW_EXPONENTS
from oracle.program import Const, Program, Step

STATEFUL = "stateful"
FAMILIES = ("smooth", "deep", "edge", STATEFUL)
DEFAULT_FAMILIES = ("smooth", "deep")

# Constants people write; the first ones are where shrinking lands.
CONSTANTS = (2.0, 0.5, -1.5, 3.0, 1.0, -2.0, 0.1, 10.0, -0.25, 1e3, 1e-3, 0.0)
SPECIAL_INPUTS = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    math.inf,
    -math.inf,
    math.nan,
    5e-324,
    -1e-310,
    1e308,
    -1e308,
    2.0,
)
LARGEST = 1e100  # smooth values and slopes stay within [1e-100, 1e100] in magnitude
SMALLEST = 1e-100


@dataclass(frozen=True)
class Case:
    """A program and the input points it is checked at."""

    family: str
    program: Program
    points: tuple[tuple[float, ...], ...]

    def to_json(self) -> dict:
        return {
            "family": self.family,
            "program": self.program.to_json(),
            "points": [list(point) for point in self.points],
        }


# --- input points ------------------------------------------------------------------------------


def magnitudes(decades: int = 4) -> st.SearchStrategy[float]:
    """Floats ``m * 10**e`` with ``1 <= m < 10`` and ``|e| <= decades``; shrinks to 1.0."""
    return st.builds(
        lambda exponent, mantissa: mantissa * 10.0**exponent,
        st.integers(-decades, decades),
        st.floats(1.0, 10.0, exclude_max=True),
    )


def signed_magnitudes(decades: int = 4) -> st.SearchStrategy[float]:
    """``±magnitudes(decades)``, the sign drawn first; shrinks to 1.0."""
    return st.builds(lambda sign, x: sign * x, st.sampled_from((1.0, -1.0)), magnitudes(decades))


def edge_inputs() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(SPECIAL_INPUTS), signed_magnitudes(2))


def _points(draw, n_inputs, max_inputs, n_points, element) -> tuple[tuple[float, ...], ...]:
    """``n_points`` points of ``n_inputs`` coordinates.

    Coordinates for ``max_inputs`` inputs are always drawn and the first ``n_inputs`` kept, so
    when Hypothesis shrinks the number of inputs every later choice keeps its place.
    """
    drawn = [[draw(element) for _ in range(max_inputs)] for _ in range(max(1, n_points))]
    return tuple(tuple(point[:n_inputs]) for point in drawn)


def _same_signed_points(draw, n_inputs, max_inputs, n_points, decades):
    """Like :func:`_points`, but each input keeps one sign across the points of a case.

    Independent signs would make every case with a ``log``, ``sqrt`` or ``x ** 0.5`` of an
    input need that input positive at all points at once (1 time in 16 with four points), and
    such ops would all but vanish from the smooth family.
    """
    signs = [draw(st.sampled_from((1.0, -1.0))) for _ in range(max_inputs)]
    points = _points(draw, n_inputs, max_inputs, n_points, magnitudes(decades))
    return tuple(tuple(sign * x for sign, x in zip(signs, point, strict=False)) for point in points)


# --- steps -------------------------------------------------------------------------------------


def _draw_operand(draw, count: int) -> int:
    return count - 1 - draw(st.integers(0, count - 1))  # an offset back from the newest value


def _draw_step(draw, ops: Sequence[str], count: int) -> Step:
    op = draw(st.sampled_from(tuple(ops)))
    spec = OPS[op]
    if spec.arity == 1:
        return Step(op, (_draw_operand(draw, count),))
    if op == "pow":
        return Step(op, (_draw_operand(draw, count), Const(draw(st.sampled_from(POW_EXPONENTS)))))
    placement = draw(st.sampled_from(("values", "constant right", "constant left")))
    if placement == "values":
        return Step(op, (_draw_operand(draw, count), _draw_operand(draw, count)))
    constant = Const(draw(st.sampled_from(CONSTANTS)))
    value = _draw_operand(draw, count)
    return Step(op, (value, constant) if placement == "constant right" else (constant, value))


def _keep_going(draw) -> bool:
    return draw(st.integers(0, 9)) > 0  # about ten steps on average; shrinks toward stopping


@st.composite
def programs(draw, ops: Sequence[str] = tuple(OPS), max_inputs: int = 3, max_steps: int = 12):
    """Unconstrained straight-line programs (no domain filtering)."""
    n_inputs = draw(st.integers(1, max_inputs))
    steps: list[Step] = []
    while len(steps) < max_steps and (not steps or _keep_going(draw)):
        steps.append(_draw_step(draw, ops, n_inputs + len(steps)))
    return Program(n_inputs, tuple(steps + _connecting_sums(n_inputs, steps)))


def _connecting_sums(n_inputs: int, steps: Sequence[Step]) -> list[Step]:
    """``add`` steps folding every unused step value into the output.

    Without them most random steps would be dead code, contributing nothing to the output or
    its gradient. The sums are derived, not drawn, so they shrink away with the steps they join.
    """
    used = set()
    for step in steps:
        used.update(o for o in step.operands if isinstance(o, int))
    count = n_inputs + len(steps)
    dangling = [i for i in range(n_inputs, count - 1) if i not in used]
    sums, total = [], count - 1
    for index in reversed(dangling):
        sums.append(Step("add", (index, total)))
        total = count + len(sums) - 1
    return sums


# --- smooth-domain checking in float64 ---------------------------------------------------------


def _apply(step: Step, values: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Operands and result of ``step`` (call under ``np.errstate(all="ignore")``)."""
    spec = OPS[step.op]
    arguments = [
        np.full_like(values[0], o.value) if isinstance(o, Const) else values[o]
        for o in step.operands
    ]
    return arguments, spec.float64(*arguments)


def _in_range(array: np.ndarray) -> bool:
    """Finite, at most LARGEST, and zero or at least SMALLEST (nan fails every comparison)."""
    magnitude = np.abs(array)
    return bool(np.all((magnitude <= LARGEST) & ((magnitude == 0.0) | (magnitude >= SMALLEST))))


def _slopes_in_range(step: Step, arguments: list[np.ndarray]) -> bool:
    """Each local slope, by a float64 central difference, is finite, within range, and not an
    underflowed zero.

    (Call under ``np.errstate(all="ignore")``.)
    """
    spec = OPS[step.op]
    for slot, operand in enumerate(step.operands):
        if isinstance(operand, Const):
            continue
        x = arguments[slot]
        h = 1e-7 * np.where(x != 0.0, np.abs(x), 1.0)
        above, below = list(arguments), list(arguments)
        above[slot], below[slot] = x + h, x - h
        slope = (spec.float64(*above) - spec.float64(*below)) / (2 * h)
        if not np.all(np.abs(slope) <= LARGEST):  # nan fails too
            return False
        if step.op in SATURATING and np.any(slope == 0.0):
            return False  # tanh(-600): a slope float64 cannot hold, far from smooth territory
    return True


# Ops whose slope never vanishes but underflows far out (tanh, sigmoid and exp saturate; the
# others have isolated zeros that float64 points never hit exactly).
SATURATING = frozenset({"tanh", "sigmoid", "exp"})


def _no_underflow(step: Step, arguments: list[np.ndarray], result: np.ndarray) -> bool:
    """A zero result is exact (``x - x``, ``relu`` of a negative, a factor of zero), not a
    nonzero value rounded away (``exp(-4000)``, ``1e-200 * 1e-200``)."""
    if step.op in EXACT_ZEROS:
        return True
    some_zero_operand = np.any(np.stack(arguments) == 0.0, axis=0)
    return bool(np.all((result != 0.0) | some_zero_operand))


# Ops whose zero results are always exact: cancellation in + and - is exact in IEEE arithmetic.
EXACT_ZEROS = frozenset({"add", "sub", "relu"})


def smooth_step_value(step: Step, values: list[np.ndarray]) -> np.ndarray | None:
    """The step's values at every point, or None if it leaves the smooth domain anywhere."""
    with np.errstate(all="ignore"):
        arguments, result = _apply(step, values)
        inside = bool(np.all(OPS[step.op].smooth(*arguments)))
        if not (
            inside
            and _in_range(result)
            and _no_underflow(step, arguments, result)
            and _slopes_in_range(step, arguments)
        ):
            return None
    return result


# --- families ----------------------------------------------------------------------------------


@st.composite
def smooth_cases(draw, ops=tuple(OPS), n_points: int = 4, max_inputs: int = 3, max_steps: int = 12):
    n_inputs = draw(st.integers(1, max_inputs))
    points = _same_signed_points(draw, n_inputs, max_inputs, n_points, decades=4)
    values = [np.array(column, dtype=np.float64) for column in zip(*points, strict=True)]
    steps: list[Step] = []
    attempts = 0
    while len(steps) < max_steps and attempts < 3 * max_steps and (not steps or _keep_going(draw)):
        attempts += 1
        step = _draw_step(draw, ops, len(values))
        result = smooth_step_value(step, values)
        if result is not None:  # a step outside the smooth domain is dropped, not rejected
            steps.append(step)
            values.append(result)
    assume(steps)
    for step in _connecting_sums(n_inputs, steps):
        result = smooth_step_value(step, values)
        assume(result is not None)  # rare: a sum out of range
        steps.append(step)
        values.append(result)
    return Case("smooth", Program(n_inputs, tuple(steps)), points)


@st.composite
def deep_cases(draw, ops=tuple(OPS), n_points: int = 1, max_links: int = 1000):
    """``v = v + c * cell(v)`` repeated: a residual chain, ``links * (len(cell) + 2)`` deep.

    ``c = ±1/links`` keeps values and gradients moderate however long the chain; ``v`` fans out
    to the cell and to the sum at every link, so lost accumulation shows too.
    """
    n_inputs = draw(st.integers(1, 2))
    points = _points(draw, n_inputs, 2, n_points, signed_magnitudes(1))
    # Up to 4,000 ops deep, far past the ~1,000 frames where recursive engines crash; the
    # number of links shrinks toward one, so a crash shrinks to the depth where it starts.
    links = draw(st.integers(1, max_links))
    scale = draw(st.sampled_from((1.0, -1.0, 0.5))) / links
    cell = _draw_cell(draw, ops, n_inputs)
    steps = []
    current = n_inputs - 1
    for number in range(links):
        link, current = _link(cell, current, n_inputs + len(steps), scale, number % 2 == 1)
        steps.extend(link)
    program = Program(n_inputs, tuple(steps))
    assume(_smooth_everywhere(program, points, checked_slopes=len(cell) + 2))
    return Case("deep", program, points)


PREVIOUS = "previous"  # in a cell template: v for the first step, else the step before


def _draw_cell(draw, ops, n_inputs) -> list[Step]:
    """One or two step templates over v, the inputs (as ``"x1"``) and constants."""
    cell = []
    for _ in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(tuple(ops)))
        if OPS[op].arity == 1:
            cell.append(Step(op, (PREVIOUS,)))
        elif op == "pow":
            exponent = draw(st.sampled_from((2.0, 0.5, 3.0, -1.0)))
            cell.append(Step(op, (PREVIOUS, Const(exponent))))
        else:
            other = draw(st.sampled_from((*(f"x{i}" for i in range(n_inputs)), "constant")))
            operand = Const(draw(st.sampled_from(CONSTANTS[:4]))) if other == "constant" else other
            cell.append(Step(op, (PREVIOUS, operand)))
    return cell


def _link(cell, v: int, count: int, scale: float, swapped: bool) -> tuple[list[Step], int]:
    """The cell on value ``v``, then ``v + scale * cell``; values numbered from ``count``.

    Every other link adds in the other order (``scale * cell + v``): whichever operand a
    recursive backward visits first, it then goes down the long way on half the links.
    """
    steps = []
    for position, template in enumerate(cell):
        previous = v if position == 0 else count + position - 1
        operands = tuple(
            previous
            if operand == PREVIOUS
            else int(operand[1:])
            if isinstance(operand, str)
            else operand
            for operand in template.operands
        )
        steps.append(Step(template.op, operands))
    newest = count + len(cell) - 1
    steps.append(Step("mul", (newest, Const(scale))))
    steps.append(Step("add", (newest + 1, v) if swapped else (v, newest + 1)))
    return steps, newest + 2


def _smooth_everywhere(program: Program, points, checked_slopes: int) -> bool:
    """Every step inside its smooth domain and in range; slopes checked on the first steps.

    (Checking every slope of a chain thousands of steps long costs more than drawing it; the
    first link shows whether the cell's slopes are in range, and the exact analysis flags the
    rest.)
    """
    values = [np.array(column, dtype=np.float64) for column in zip(*points, strict=True)]
    with np.errstate(all="ignore"):
        for position, step in enumerate(program.steps):
            arguments, result = _apply(step, values)
            inside = np.all(OPS[step.op].smooth(*arguments))
            if not (inside and _in_range(result) and _no_underflow(step, arguments, result)):
                return False
            if position < checked_slopes and not _slopes_in_range(step, arguments):
                return False
            values.append(result)
    return True


@st.composite
def edge_cases(draw, ops=tuple(OPS), n_points: int = 4, max_inputs: int = 2, max_steps: int = 6):
    program = draw(programs(ops, max_inputs=max_inputs, max_steps=max_steps))
    points = _points(draw, program.n_inputs, max_inputs, n_points, edge_inputs())
    return Case("edge", program, points)


@st.composite
def stateful_cases(draw, ops=tuple(OPS), n_points: int = 1, max_steps: int = 12):
    """Smooth cases, relabelled: each runs through the stateful scenarios (one point is enough,
    and every extra point would repeat the whole scenario)."""
    case = draw(smooth_cases(ops, n_points=n_points, max_steps=max_steps))
    return Case(STATEFUL, case.program, case.points)


def cases(family: str, ops: Sequence[str] = tuple(OPS), **options) -> st.SearchStrategy[Case]:
    """Cases of ``family`` over ``ops`` (keyword options go to that family's strategy)."""
    strategies = {
        "smooth": smooth_cases,
        "deep": deep_cases,
        "edge": edge_cases,
        STATEFUL: stateful_cases,
    }
    if family not in strategies:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
    unknown = [op for op in ops if op not in OPS]
    if unknown or not ops:
        raise ValueError(f"unknown ops {unknown}; choose from {', '.join(OPS)}")
    return strategies[family](tuple(ops), **options)
