"""The stateful family: what several backward passes leave in ``.grad``.

The other families call ``backward()`` once, on a fresh graph. But engines keep state between
calls: ``.grad`` on leaves (and, in micrograd-style engines, on every node), a graph that can
be gone through again, outputs that share nodes. Here each drawn case (a smooth program ``f``
at one point, :func:`oracle.strategies.stateful_cases`) runs through a *scenario* per
property, on the target and, the same scenario, on torch; every ``.grad`` read along the way
is compared. Each property is a unit of the campaign (``stateful-backward-twice``...), so a
failure names its property:

``backward twice``
    ``y = f(x); y.backward(); y.backward()`` (torch: ``retain_graph=True``). After the second
    pass every leaf holds twice the gradient of one. Engines that keep a gradient on every
    node (the value protocol) are also compared on each interior value's ``.grad``, against
    torch's ``retain_grad()``, which accumulates the same way: a stale interior gradient (one
    pass's left-over, propagated again by the next) shows there and in the leaves. The
    output's own ``.grad`` is left out: it is the seed, which micrograd-style engines set to
    1 at each call and torch accumulates, and nothing reads it. After the second pass an
    interior ``.grad`` may also hold that pass's gradient alone (an engine that clears
    interior gradients at each pass: not stale, and torch keeps none by default); anything
    else is stale. Interior values are compared only where, after the first pass, they hold
    the gradient (a forward-mode engine leaves them at 0.0): a note says when they are not.
``zero_grad``
    ``y.backward()``, then every leaf reset (``leaf.grad = 0.0`` as micrograd's users do it;
    torch: ``leaf.grad = None``), then ``y.backward()`` again: the gradient of one pass.
``shared subgraph``
    ``o1 = 3.0 * y; o2 = y * y`` share all of ``y = f(x)``; ``o1.backward(); o2.backward()``:
    the leaves hold ``do1/dx + do2/dx``.
``second graph``
    ``y.backward()``, then a second graph from the first one's value: a new leaf ``z`` made
    from ``y.data``, ``w = z * z``, ``w.backward()``. The first graph's leaves keep their
    gradient and ``z.grad`` is ``2 z``: nothing leaks between the graphs.
``wide fan-out``
    ``s`` is the sum of :data:`FAN_OUT` copies of ``f(x)`` over the same leaves, added
    pairwise (a balanced tree, so that a recursive backward is not what fails here; that is the
    deep family's); ``s.backward()``: every leaf is read by thousands of steps and holds
    :data:`FAN_OUT` times the gradient of one copy.

**Torch is the reference** for these semantics: "this function accumulates gradients in the
leaves - you might need to zero .grad attributes or set them to None before calling it"
(``torch.Tensor.backward``). It is the family's one reference, whatever the campaign's
``references`` (the others answer single passes). Every number a scenario reads is a sum of
gradients of single backward passes (twice ``dy/dx``, ``do1/dx + do2/dx``, 5,000 times
``dy/dx``); the explanation of a finding writes the sum out.

**Tolerance.** A correct float64 engine and torch may each be ``SAFETY * bound`` away from the
exact gradient of one pass, ``bound`` being the exact analysis' first-order bound for this case
and quantity (:mod:`oracle.exact`; the same bound the smooth family is judged by, extended to
interior values); so each gradient in a sum is allowed twice that, and the sum adds its terms'
allowances plus the rounding of its additions, ``(terms - 1) * u * sum |term|``. A wrong
number of passes is off by a whole gradient, far outside. Where the analysis does not apply,
numbers are compared at :data:`oracle.compare.LOOSE_RELATIVE`; where it says the case is
ill-conditioned, a disagreement is *ill-conditioned*, not a bug, as in :mod:`oracle.compare`.

**Verdicts**, as elsewhere: a reading off by more than its tolerance is a *target bug*; a
target that raises where torch does not, *exception divergence*; nan or inf where torch has
another number, *nan-inf mismatch*. A bug is shrunk by Hypothesis to a minimal program, and
reported with the property, the scenario and a table of what the target and torch held after
each step of it.

**Targets.** A target takes part through an optional ``stateful`` attribute, a
:class:`Driver`: value-protocol targets have one
(:class:`~oracle.targets.value_protocol.ValueDriver`), tensor-protocol targets too
(:class:`~oracle.targets.tensor_protocol.TensorDriver`, leaves only). A driver may list
properties it cannot run in a ``not_applicable`` mapping (property -> reason). Targets
without a driver (engines that differentiate a function: the function protocol, refgrad's
modes through ``value_and_grad``; the references run as targets) keep no ``.grad`` between
calls: every property is reported *not applicable* to them, with the reason, never skipped
silently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from oracle.compare import LOOSE_RELATIVE, SAFETY, TINY, UNIT_ROUNDOFF, Judgement, Verdict
from oracle.exact import Analysis, NotApplicable, analyze
from oracle.expected import bug_id
from oracle.limits import TargetTimeout, target_limits
from oracle.ops import PYTHON_CALLS
from oracle.outcome import describe, json_float
from oracle.program import Const, Program, Step
from oracle.references import MissingDependency
from oracle.strategies import STATEFUL, Case, stateful_cases

FAN_OUT = 5000
FAN_OUT_STEPS = 3  # its programs are short: the width is the point

# The small programs the scenarios add on top of f: heads on y, and the pairwise sum.
TIMES_THREE = Program(1, (Step("mul", (Const(3.0), 0)),))  # 3.0 * v
SQUARE = Program(1, (Step("mul", (0, 0)),))  # v * v
ADD = Program(2, (Step("add", (0, 1)),))  # a + b


class Driver(Protocol):
    """How the stateful family drives an engine: the optional ``stateful`` attribute of a
    target. ``what`` names the quantity read, for error messages."""

    keeps_interior: bool  # every node has a .grad worth comparing, not only the leaves

    def leaf(self, x: float) -> Any: ...

    def run(self, program: Program, leaves: Sequence) -> list:
        """Every value of ``program`` on ``leaves`` (any of the engine's nodes), inputs first."""

    def backward(self, output) -> None: ...

    def zero_grad(self, leaf) -> None: ...

    def grad(self, node, what: str) -> float: ...

    def data(self, node, what: str) -> float: ...


# --- what a scenario reads -----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    after: str  # the scenario step after which it was read: "2nd y.backward()"
    quantity: str  # "x0.grad", "v3.grad" (an interior value of the program), "z.grad"
    number: float | None  # None: an interior .grad the engine does not keep

    @property
    def key(self) -> tuple[str, str]:
        return self.after, self.quantity


class Log:
    """What a scenario read from one engine, in order; where it stopped if the engine raised."""

    def __init__(self, engine: Driver):
        self.engine = engine
        self.readings: list[Reading] = []
        self.stage = "building y = f(x)"  # the step running now, named in a crash's report
        self.error: str | None = None
        self.value: float | None = None  # y's value

    def leaves(self, leaves: Sequence) -> None:
        for index, leaf in enumerate(leaves):
            self.node(leaf, f"x{index}.grad")

    def node(self, node, quantity: str) -> None:
        self.readings.append(Reading(self.stage, quantity, self.engine.grad(node, quantity)))

    def interior(self, program: Program, values: Sequence) -> None:
        """The ``.grad`` of each step's value but the output's, where the engine keeps one
        (one that cannot be read as a float is recorded as None: not kept)."""
        if not self.engine.keeps_interior:
            return
        for index in range(program.n_inputs, program.output):
            quantity = f"v{index}.grad"
            try:
                number = self.engine.grad(values[index], quantity)
            except Exception:
                number = None
            self.readings.append(Reading(self.stage, quantity, number))


# --- the scenarios -------------------------------------------------------------------------
# Each runs on any driver (the target's, torch's), setting log.stage before each step so that
# a crash names the step it happened in, and reading .grad after each.


def _build(engine: Driver, program: Program, point, log: Log) -> tuple[list, list]:
    leaves = [engine.leaf(x) for x in point]
    values = engine.run(program, leaves)
    log.value = engine.data(values[-1], "y.data")
    return leaves, values


def _backward_twice(engine: Driver, program: Program, point, log: Log) -> None:
    leaves, values = _build(engine, program, point, log)
    for stage in ("1st y.backward()", "2nd y.backward()"):
        log.stage = stage
        engine.backward(values[-1])
        log.leaves(leaves)
        log.interior(program, values)


def _zero_grad(engine: Driver, program: Program, point, log: Log) -> None:
    leaves, values = _build(engine, program, point, log)
    log.stage = "y.backward()"
    engine.backward(values[-1])
    log.leaves(leaves)
    log.stage = "every leaf zeroed"
    for leaf in leaves:
        engine.zero_grad(leaf)
    log.leaves(leaves)
    log.stage = "y.backward() again"
    engine.backward(values[-1])
    log.leaves(leaves)


def _shared_subgraph(engine: Driver, program: Program, point, log: Log) -> None:
    leaves, values = _build(engine, program, point, log)
    log.stage = "o1 = 3.0 * y; o2 = y * y"
    o1 = engine.run(TIMES_THREE, [values[-1]])[-1]
    o2 = engine.run(SQUARE, [values[-1]])[-1]
    for stage, output in (("o1.backward()", o1), ("o2.backward()", o2)):
        log.stage = stage
        engine.backward(output)
        log.leaves(leaves)


def _second_graph(engine: Driver, program: Program, point, log: Log) -> None:
    leaves, values = _build(engine, program, point, log)
    log.stage = "y.backward()"
    engine.backward(values[-1])
    log.leaves(leaves)
    log.stage = "z = a leaf of y.data; w = z * z"
    z = engine.leaf(log.value)
    w = engine.run(SQUARE, [z])[-1]
    log.stage = "w.backward()"
    engine.backward(w)
    log.leaves(leaves)
    log.node(z, "z.grad")


def _wide_fan_out(engine: Driver, program: Program, point, log: Log) -> None:
    leaves = [engine.leaf(x) for x in point]
    log.stage = f"s = f(x) + f(x) + ... ({FAN_OUT:,} terms)"
    terms = [engine.run(program, leaves)[-1] for _ in range(FAN_OUT)]
    log.value = engine.data(terms[0], "y.data")
    while len(terms) > 1:  # pairwise: the sum is about 13 additions deep, not 5,000
        pairs = [engine.run(ADD, terms[i : i + 2])[-1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + terms[len(pairs) * 2 :]
    log.stage = "s.backward()"
    engine.backward(terms[0])
    log.leaves(leaves)


# --- what torch's semantics make of each reading ---------------------------------------------


@dataclass(frozen=True)
class Part:
    """``count`` times the gradient of one backward pass from ``output`` (a program analysed
    exactly, or None where the analysis does not apply) with respect to its value ``index``."""

    count: int
    output: str  # "y", "o1", "o2", "w": how the explanation writes the pass
    analysis: Analysis | None
    index: int


@dataclass(frozen=True)
class Expected:
    """A reading as torch's semantics make it: a sum of gradients of single passes."""

    parts: tuple[Part, ...]
    extra: float = 0.0  # allowance beyond the parts' (see second graph's z.grad)

    def describe(self, quantity: str) -> str:
        """``2 x dy/dx1``, ``1 x do1/dx0 + 1 x do2/dx0``, or ``0``."""
        variable = quantity.removesuffix(".grad")
        terms = [f"{part.count} x d{part.output}/d{variable}" for part in self.parts if part.count]
        return " + ".join(terms) or "0"

    def tolerance(self) -> float | None:
        """How far the target may be from torch here; None where the analysis does not apply."""
        allowance, magnitude, terms = self.extra, 0.0, 0
        for part in self.parts:
            if part.analysis is None:
                return None
            allowance += part.count * 2 * SAFETY * part.analysis.adjoint_bounds[part.index]
            magnitude += part.count * abs(float(part.analysis.adjoints[part.index]))
            terms += part.count
        return allowance + max(terms - 1, 0) * UNIT_ROUNDOFF * magnitude + TINY

    def ill_conditioned(self) -> str | None:
        for part in self.parts:
            if part.analysis is not None and part.analysis.ill_conditioned:
                return part.analysis.ill_conditioned
        return None


def _analysis(program: Program, point) -> Analysis | None:
    try:
        return analyze(program, point)
    except NotApplicable:
        return None


def _index(quantity: str) -> int:
    """The value a ``.grad`` reading belongs to: ``x1.grad`` -> 1, ``v4.grad`` -> 4."""
    return int(quantity.removesuffix(".grad")[1:])


def _then(program: Program, head: Program) -> Program:
    """``head`` applied to ``program``'s output, as one program (for the exact analysis)."""
    base = program.n_values - 1  # head's input 0 is program's output; its steps follow on

    def moved(operand):
        return operand if isinstance(operand, Const) else base + operand

    steps = [Step(step.op, tuple(map(moved, step.operands))) for step in head.steps]
    return Program(program.n_inputs, (*program.steps, *steps))


def _by_count(counts: dict[str, int], output: str):
    """Expectations where each step ``after`` of the scenario holds ``counts[after]`` times
    the gradient of one pass from y (every reading, leaf or interior)."""

    def expect(program: Program, point, torch: Log) -> dict[tuple[str, str], Expected]:
        analysis = _analysis(program, point)
        return {
            reading.key: Expected(
                (Part(counts[reading.after], output, analysis, _index(reading.quantity)),)
            )
            for reading in torch.readings
        }

    return expect


def _expect_shared_subgraph(program: Program, point, torch: Log):
    first = _analysis(_then(program, TIMES_THREE), point)
    second = _analysis(_then(program, SQUARE), point)
    expected = {}
    for reading in torch.readings:
        index = _index(reading.quantity)
        parts = [Part(1, "o1", first, index)]
        if reading.after == "o2.backward()":
            parts.append(Part(1, "o2", second, index))
        expected[reading.key] = Expected(tuple(parts))
    return expected


def _expect_second_graph(program: Program, point, torch: Log):
    analysis = _analysis(program, point)
    expected = {
        reading.key: Expected((Part(1, "y", analysis, _index(reading.quantity)),))
        for reading in torch.readings
        if reading.quantity != "z.grad"
    }
    # z is y's value as each engine computed it: the two may differ by twice y's allowance,
    # and z.grad = 2 z moves by twice that.
    moved = 2 * (2 * SAFETY * analysis.value_bound) if analysis is not None else 0.0
    square = _analysis(SQUARE, (torch.value,))
    expected["w.backward()", "z.grad"] = Expected((Part(1, "w", square, 0),), extra=moved)
    return expected


@dataclass(frozen=True)
class Property:
    name: str
    scenario: str  # the scenario as a user would write it, for reports
    run: Callable[[Driver, Program, Sequence[float], Log], None]
    expect: Callable[[Program, Sequence[float], Log], dict[tuple[str, str], Expected]]
    examples: int  # cases by default
    max_steps: int = 12  # of the drawn programs
    reads_interior: bool = False


PROPERTY = {
    prop.name: prop
    for prop in (
        Property(
            "backward twice",
            "y = f(x); y.backward(); y.backward()",
            _backward_twice,
            _by_count({"1st y.backward()": 1, "2nd y.backward()": 2}, "y"),
            examples=60,
            reads_interior=True,
        ),
        Property(
            "zero_grad",
            "y = f(x); y.backward(); leaf.grad = 0.0 for every leaf; y.backward()",
            _zero_grad,
            _by_count({"y.backward()": 1, "every leaf zeroed": 0, "y.backward() again": 1}, "y"),
            examples=40,
        ),
        Property(
            "shared subgraph",
            "y = f(x); o1 = 3.0 * y; o2 = y * y; o1.backward(); o2.backward()",
            _shared_subgraph,
            _expect_shared_subgraph,
            examples=40,
        ),
        Property(
            "second graph",
            "y = f(x); y.backward(); z = Value(y.data); w = z * z; w.backward()",
            _second_graph,
            _expect_second_graph,
            examples=40,
        ),
        Property(
            "wide fan-out",
            f"s = f(x) + f(x) + ... ({FAN_OUT:,} copies, added pairwise); s.backward()",
            _wide_fan_out,
            _by_count({"s.backward()": FAN_OUT}, "y"),
            examples=5,  # a case runs 5,000 copies on the target and on torch: about a second
            max_steps=FAN_OUT_STEPS,
        ),
    )
}
PROPERTIES = tuple(PROPERTY)  # in the campaign's order
EXAMPLES = {name: prop.examples for name, prop in PROPERTY.items()}  # cases per property


# --- torch, the reference ------------------------------------------------------------------


class TorchDriver:
    """torch's float64 scalar tensors through the scenarios: the reference.

    ``retain_graph=True`` so a graph can be gone through twice; with ``interior`` (when the
    target's interior gradients are compared), every non-leaf value ``retain_grad()``s, so
    that torch keeps (and accumulates) its gradient too.
    """

    def __init__(self, interior: bool):
        try:
            import torch
        except ModuleNotFoundError as error:
            raise MissingDependency(
                "the stateful family compares with torch: pip install 'refgrad[torch]'"
            ) from error
        self.torch = torch
        self.keeps_interior = interior

    def leaf(self, x: float):
        return self.torch.tensor(float(x), dtype=self.torch.float64, requires_grad=True)

    def run(self, program: Program, leaves: Sequence) -> list:
        values = program.evaluate(leaves, PYTHON_CALLS)
        if self.keeps_interior:
            for value in values[len(leaves) :]:
                value.retain_grad()
        return values

    def backward(self, output) -> None:
        output.backward(retain_graph=True)

    def zero_grad(self, leaf) -> None:
        leaf.grad = None

    def grad(self, node, what: str) -> float:
        return 0.0 if node.grad is None else node.grad.item()

    def data(self, node, what: str) -> float:
        return node.item()


# --- a case, judged --------------------------------------------------------------------------


@dataclass
class StatefulResult:
    """A case of one property: both engines' logs, what torch's semantics expect, the verdict.

    Shaped like :class:`oracle.runner.CaseResult` where the campaign reads it (``case``,
    ``judgements``, ``verdict``, ``judgement``)."""

    case: Case
    property_name: str
    target: Log
    torch: Log
    expected: dict[tuple[str, str], Expected]
    judgement: Judgement
    compared: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    failing: tuple[str, str] | None = None  # the reading the verdict was found on

    worst_point = 0  # one point per case

    @property
    def judgements(self) -> list[Judgement]:
        return [self.judgement]

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def scenario(self) -> str:
        return PROPERTY[self.property_name].scenario

    def rows(self) -> list[dict]:
        """Per reading of the scenario: after which step, the quantity, what the target and
        torch held, and the tolerance (None where the reading was not compared)."""
        got = {reading.key: reading.number for reading in self.target.readings}
        rows = []
        for reading in self.torch.readings:
            compared = reading.key in self.compared
            expected = self.expected.get(reading.key)
            rows.append(
                {
                    "after": reading.after,
                    "quantity": reading.quantity,
                    "target": got.get(reading.key),
                    "torch": reading.number,
                    "tolerance": expected.tolerance() if compared and expected else None,
                }
            )
        return rows

    @property
    def bug_id(self) -> str:
        family = f"{STATEFUL} {self.property_name}"  # a program fails each property apart
        return bug_id(family, self.verdict.value, self.case.program.to_json())


@dataclass(frozen=True)
class Verdicts:
    """What :func:`judge` found: the judgement, the readings compared, the failing one."""

    judgement: Judgement
    compared: frozenset[tuple[str, str]] = frozenset()
    failing: tuple[str, str] | None = None


def judge(name: str, target: Log, torch: Log, expected) -> Verdicts:
    """The verdict of one case of property ``name``: the first reading off its tolerance."""
    if torch.error is not None:
        explanation = f"{name}: torch could not run the scenario ({torch.error} at {torch.stage})"
        return Verdicts(Judgement(Verdict.REFERENCES_DISAGREE, explanation))
    if target.error is not None:
        explanation = (
            f"{name}: the target raised {target.error} at {target.stage}, "
            "where torch ran the whole scenario"
        )
        return Verdicts(Judgement(Verdict.EXCEPTION_DIVERGENCE, explanation))
    comparisons, notes = _comparisons(target, torch, expected)
    compared = frozenset(comparison.key for comparison in comparisons)
    for comparison in comparisons:
        mismatch = comparison.mismatch()
        if mismatch is None:
            continue
        verdict, detail = mismatch
        after, quantity = comparison.key
        explanation = f"{name}: after {after}, {quantity}: {detail}"
        reason = expected[comparison.key].ill_conditioned()
        if reason is not None:  # the first-order tolerance cannot be trusted here
            verdict, explanation = Verdict.ILL_CONDITIONED, f"{explanation}; but {reason}"
        judgement = Judgement(verdict, explanation, quantity, notes)
        return Verdicts(judgement, compared, comparison.key)
    return Verdicts(Judgement(Verdict.AGREE, "agree", None, notes), compared)


@dataclass(frozen=True)
class Comparison:
    """A reading of the target and what torch's semantics allow there: torch's number and
    what it is made of; the first of ``wants`` is torch's own, any one matching will do."""

    key: tuple[str, str]
    got: float | None
    wants: tuple[tuple[float, Expected], ...]

    def mismatch(self):
        """None if ``got`` matches one of ``wants``, else (verdict, detail) for the first."""
        quantity = self.key[1]
        found = [_mismatch(self.got, want, expected, quantity) for want, expected in self.wants]
        if any(mismatch is None for mismatch in found):
            return None
        verdict, detail = found[0]
        for want, _ in self.wants[1:]:
            detail += f" (nor the last pass's gradient alone, torch {want!r})"
        return verdict, detail


def _comparisons(target: Log, torch: Log, expected) -> tuple[list[Comparison], tuple[str, ...]]:
    """What to compare: every reading both engines made, and notes.

    Interior readings stay only if the target keeps interior gradients: if, after the first
    step that reads them, each holds torch's number. After later steps, an interior value may
    hold the sum over the passes (as torch's ``retain_grad()``) or the latest pass's gradient
    alone (an engine that clears interior gradients at each pass); stale is anything else.
    """
    got = {reading.key: reading.number for reading in target.readings}
    first_pass: dict[str, tuple[float, Expected]] = {}  # interior quantity -> its first wants
    comparisons = []
    for reading in torch.readings:
        if reading.key not in got:  # an interior reading of an engine that has none
            continue
        wants = [(reading.number, expected[reading.key])]
        if _interior(reading.quantity):
            if reading.quantity in first_pass:
                wants.append(first_pass[reading.quantity])  # the last pass's gradient alone
            else:
                first_pass[reading.quantity] = wants[0]
        comparisons.append(Comparison(reading.key, got[reading.key], tuple(wants)))
    first_readings = [c for c in comparisons if _interior(c.key[1]) and len(c.wants) == 1]
    unkept = next((c for c in first_readings if c.mismatch() is not None), None)
    if unkept is None:
        return comparisons, ()
    leaves = [c for c in comparisons if not _interior(c.key[1])]
    return leaves, (_not_kept(unkept),)


def _interior(quantity: str) -> bool:
    return quantity.startswith("v")  # v3.grad; leaves are x0.grad, z.grad


def _not_kept(first: Comparison) -> str:
    (after, quantity), [(want, _)] = first.key, first.wants
    return (
        f"interior .grad not compared: after {after}, {quantity} is {first.got!r} where "
        f"torch's retain_grad() gives {want!r} (the target does not keep gradients on interior "
        "values); leaves only"
    )


def _mismatch(got: float | None, want: float, expected: Expected, quantity: str):
    """None if ``got`` is within tolerance of torch's ``want``, else (verdict, detail)."""
    rule = f"torch {want!r} = {expected.describe(quantity)}"
    if got is None:
        return Verdict.TARGET_BUG, f"target's .grad is not a float, {rule}"
    if not (math.isfinite(got) and math.isfinite(want)):
        same = (math.isnan(got) and math.isnan(want)) or got == want
        return None if same else (Verdict.NAN_INF_MISMATCH, f"target {got!r}, {rule}")
    tolerance = expected.tolerance()
    if tolerance is None:
        tolerance = LOOSE_RELATIVE * max(abs(got), abs(want)) + TINY
    error = abs(got - want)
    if error <= tolerance:
        return None
    relative = error / abs(want) if want else math.inf
    return Verdict.TARGET_BUG, (
        f"target {got!r}, {rule}: off by {error:.3g} (relative {relative:.3g}), "
        f"tolerance {tolerance:.3g}"
    )


# --- a property as a campaign unit runs it -----------------------------------------------------


def not_applicable(target, name: str) -> str | None:
    """Why ``target`` cannot run property ``name``, or None if it can."""
    engine = getattr(target, "stateful", None)
    if engine is None:
        return _stateless(target)
    return getattr(engine, "not_applicable", {}).get(name)


def _stateless(target) -> str:
    from oracle.targets.function_protocol import FunctionProtocolTarget
    from oracle.targets.reference_target import ReferenceTarget
    from oracle.targets.refgrad_modes import RefgradTarget

    if isinstance(target, FunctionProtocolTarget):
        return (
            "it differentiates a function (the function protocol): no graph and no .grad "
            "persist between calls, so there is nothing to accumulate or reset"
        )
    if isinstance(target, RefgradTarget):
        return (
            f"refgrad's {target.mode} mode runs through value_and_grad, a function transform "
            "that keeps no .grad between calls (the `refgrad` target, the eager Value, has one)"
        )
    if isinstance(target, ReferenceTarget):
        return (
            f"the {target.name} reference as a target evaluates whole programs at once and "
            "keeps no graph (`torch-tensor` drives torch's tensors through the scenarios)"
        )
    return (
        "the target has no `stateful` driver (see oracle.stateful.Driver), so it cannot be "
        "driven through several backward passes"
    )


class PropertyCheck:
    """One property as a unit of the campaign: its cases, and each case run and judged.

    ``notes`` collects what the unit should say once (interior gradients not compared).
    """

    def __init__(self, name: str, target, time_limit: float, timing):
        if name not in PROPERTY:
            raise ValueError(f"unknown stateful property {name!r}; choose from {PROPERTIES}")
        self.prop = PROPERTY[name]
        self.engine: Driver = target.stateful
        self.torch = TorchDriver(interior=self.prop.reads_interior and self.engine.keeps_interior)
        self.time_limit = time_limit
        self.timing = timing  # oracle.runner.Timing: seconds per engine
        self.notes: list[str] = []

    def cases(self, ops: Sequence[str]):
        return stateful_cases(tuple(ops), max_steps=self.prop.max_steps)

    def evaluate(self, case: Case, shrinking: bool = False) -> StatefulResult:
        """Run the scenario on the target and on torch, and judge every reading (the same
        work while shrinking: torch and the exact analysis are all a verdict needs)."""
        program, point = case.program, case.points[0]
        target = self._timed("target", lambda: self.run(self.engine, program, point, limited=True))
        torch = self._timed("torch", lambda: self.run(self.torch, program, point))
        expected = {}
        if torch.error is None:
            expected = self._timed(
                "exact analysis", lambda: self.prop.expect(program, point, torch)
            )
        found = judge(self.prop.name, target, torch, expected)
        if found.judgement.notes and not self.notes:
            self.notes.append(found.judgement.notes[0])  # said once per unit
        return StatefulResult(
            case,
            self.prop.name,
            target,
            torch,
            expected,
            found.judgement,
            found.compared,
            found.failing,
        )

    def run(self, engine: Driver, program: Program, point, limited: bool = False) -> Log:
        """The scenario on ``engine``; a crash (or, ``limited``, a hang) ends it, logged."""
        log = Log(engine)
        try:
            with target_limits(self.time_limit if limited else None):
                self.prop.run(engine, program, point, log)
        except (Exception, TargetTimeout) as error:
            log.error = describe(error)
        return log

    def _timed(self, name: str, work: Callable):
        started = time.perf_counter()
        result = work()
        self.timing.add(name, time.perf_counter() - started, 1)
        return result


def replay(spec: str, name: str, program: Program, point: Sequence[float]) -> StatefulResult:
    """One case of property ``name`` run again, on the target named ``spec`` and on torch, and
    judged as the campaign judges it: what a stateful repro script runs.

    Raises TargetLoadError if ``spec`` names nothing loadable, and ValueError if the target
    cannot run the property (it has no ``stateful`` driver, or the driver says why not).
    """
    from oracle.runner import Timing
    from oracle.targets import load

    target = load(spec)
    reason = not_applicable(target, name) if name in PROPERTY else None
    if reason is not None:
        raise ValueError(f"{spec} cannot run the {name} property: {reason}")
    check = PropertyCheck(name, target, REPLAY_SECONDS, Timing())
    return check.evaluate(Case(STATEFUL, program, (tuple(float(x) for x in point),)))


REPLAY_SECONDS = 60.0  # a replayed scenario that takes longer than this has hung


# --- the result document -----------------------------------------------------------------------


def case_to_json(result: StatefulResult) -> dict:
    """A stateful case in the result document (see :mod:`oracle.results`).

    It has the keys of every case; ``target`` and ``references`` hold y's value and the
    leaves' ``.grad`` after the scenario step the verdict is about (the failing reading's, or
    the last step), with the tolerance of each. Added: ``property``, ``scenario`` and
    ``calls``, the table of every reading (``after``, ``quantity``, ``target``, ``torch``,
    ``tolerance``, null where the reading was not compared).
    """
    program = result.case.program
    rows = result.rows()
    step = _step_of(result)
    at_step = {row["quantity"]: row for row in rows if row["after"] == step}
    leaves = [f"x{i}.grad" for i in range(program.n_inputs)]
    analysis = _analysis(program, result.case.points[0])
    tolerance = None
    if analysis is not None:
        tolerance = {"value": "-"}  # values are the other families' business, not compared
        for i, quantity in enumerate(leaves):
            allowed = at_step.get(quantity, {}).get("tolerance")
            tolerance[f"d/dx{i}"] = json_float(allowed) if allowed is not None else "-"
    return {
        "id": result.bug_id,
        "verdict": result.verdict.value,
        "explanation": result.judgement.explanation,
        "quantity": result.judgement.quantity,
        "notes": list(result.judgement.notes),
        "family": STATEFUL,
        "property": result.property_name,
        "scenario": result.scenario,
        "program": program.to_json(),
        "program_python": program.to_python(),
        "steps": len(program),
        "point": [json_float(x) for x in result.case.points[0]],
        "target": _outcome_json(result.target, at_step, leaves, "target"),
        "references": {"torch": _outcome_json(result.torch, at_step, leaves, "torch")},
        "tolerance": tolerance,
        "ill_conditioned": analysis.ill_conditioned if analysis is not None else None,
        "calls": [{key: _json_number(value) for key, value in row.items()} for row in rows],
    }


def _step_of(result: StatefulResult) -> str | None:
    """The scenario step the verdict is about: the failing reading's, else the last one."""
    if result.failing is not None:
        return result.failing[0]
    readings = result.torch.readings
    return readings[-1].after if readings else None


def _outcome_json(log: Log, at_step: dict, leaves: list[str], engine: str) -> dict:
    if log.error is not None:
        return {"value": "nan", "gradient": ["nan"] * len(leaves), "error": log.error}
    gradient = [at_step.get(quantity, {}).get(engine) for quantity in leaves]
    return {"value": _json_number(log.value), "gradient": [_json_number(g) for g in gradient]}


def _json_number(value):
    return json_float(value) if isinstance(value, float) else value
