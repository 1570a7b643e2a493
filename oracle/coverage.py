"""Coverage statistics: how thoroughly the drawn programs exercised an engine.

A verdict of "no bug" is only as good as the programs behind it. A :class:`Coverage` is fed
every drawn case (``add(program, verdict)``) and records, in one pass over the steps:

* per op: the steps applying it, the programs containing it, and the verdicts of the cases
  containing it (each case counted once, with its worst verdict over its points);
* op pairs: producer op -> consumer op for every value operand (``x0.tanh()`` is the pair
  ``input -> tanh``; ``v * v`` counts its pair twice, as it reads ``v`` twice);
* where constants sit in binary ops (``2.0 - v`` is left, ``v - 2.0`` right);
* fan-out, which is where reverse mode must accumulate: how many reads each value gets
  (``v * v`` reads ``v`` twice), values read by two or more different steps, self-operands
  (``v * v``, ``v + v``), how far back operands reach, and how many programs show each pattern;
* program shape: number of inputs, length and depth (bucketed by powers of two past 8, so the
  thousands of steps of the ``deep`` family fit a few buckets).

``to_json`` gives a plain document (version :data:`VERSION`; see its docstring for the shape)
and :func:`merge` adds several documents up, so a campaign can store one per unit and the
reports combine them. Histogram keys are bucket labels such as ``"3"``, ``"9-16"`` or ``"4+"``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import sub

from oracle.ops import OPS
from oracle.program import Const, Program

VERSION = 1
INPUT = "input"  # the producer named for an operand that is an input
MOST_USES_BUCKET = 4  # the uses histogram has buckets 0, 1, 2, 3 and "4+"
EXACT_SIZES = 8  # lengths, depths and reaches up to this are their own bucket
PATTERNS = ("fan_out", "shared_value", "self_operand", "unused_input")

# Counter attributes that merge by adding up (op_verdicts is nested and merged apart).
_COUNTERS = (
    "verdicts",
    "inputs",
    "length",
    "depth",
    "op_steps",
    "op_programs",
    "pairs",
    "constants",
    "uses",
    "self_operands",
    "reach",
    "patterns",
)


class CoverageError(ValueError):
    """A coverage document is malformed (a missing key, a count that is not a number)."""


class Coverage:
    """Counts over every case drawn: call :meth:`add` once per case."""

    def __init__(self) -> None:
        self.programs = 0
        self.steps = 0
        self.verdicts: Counter = Counter()  # verdict -> cases
        self.inputs: Counter = Counter()  # bucket -> programs
        self.length: Counter = Counter()  # bucket -> programs
        self.depth: Counter = Counter()  # bucket -> programs
        self.op_steps: Counter = Counter()  # op -> steps
        self.op_programs: Counter = Counter()  # op -> programs containing it
        self.op_verdicts: defaultdict[str, Counter] = defaultdict(Counter)  # op -> verdict -> cases
        self.pairs: Counter = Counter()  # (producer, consumer) -> operand reads
        self.constants: Counter = Counter()  # (op, "left" or "right") -> steps
        self.uses: Counter = Counter()  # bucket -> values (the output excluded)
        self.most_uses = 0
        self.shared_values = 0
        self.self_operands: Counter = Counter()  # op -> steps
        self.reach: Counter = Counter()  # bucket -> value operands
        self.longest_reach = 0
        self.patterns: Counter = Counter()  # pattern -> programs showing it

    # --- recording -------------------------------------------------------------------------

    def add(self, program: Program, verdict: str) -> None:
        """Record one drawn case: its program and the case's verdict (``"agree"``...)."""
        trace = _trace(program)
        self.programs += 1
        self.steps += len(program)
        self.verdicts[verdict] += 1
        self.inputs[str(program.n_inputs)] += 1
        self.length[_size_bucket(len(program))] += 1
        self.depth[_size_bucket(trace.depth)] += 1
        self._add_ops(program, verdict, trace)
        self._add_fan_out(program, trace)

    def _add_ops(self, program: Program, verdict: str, trace: _Trace) -> None:
        ops = Counter(program.ops)
        self.op_steps.update(ops)
        self.op_programs.update(ops.keys())
        for op in ops:
            self.op_verdicts[op][verdict] += 1
        made_by = trace.producers.__getitem__  # value index -> the op that made it
        self.pairs.update(zip(map(made_by, trace.read), map(made_by, trace.reader), strict=True))
        self.constants.update(trace.constants)

    def _add_fan_out(self, program: Program, trace: _Trace) -> None:
        reads = Counter(trace.read)  # value -> operand reads; the output is never read
        unread = program.n_values - 1 - len(reads)
        if unread:
            self.uses["0"] += unread
        for count, values in Counter(reads.values()).items():
            self.uses[_uses_bucket(count)] += values
        most = max(reads.values(), default=0)
        self.most_uses = max(self.most_uses, most)
        # A step like v * v reads v twice but is one reader: a value read by two steps or more
        # is one whose reads, less its self-operand steps, are two or more.
        doubled = Counter(value for _, value in trace.self_operands)
        shared = sum(1 for value, count in reads.items() if count - doubled.get(value, 0) >= 2)
        self.shared_values += shared
        self.self_operands.update(op for op, _ in trace.self_operands)
        reaches = Counter(map(sub, trace.reader, trace.read))
        for distance, count in reaches.items():
            self.reach[_size_bucket(distance)] += count
        self.longest_reach = max(self.longest_reach, max(reaches, default=0))
        # Every input should be read, except one that is itself the output (no steps).
        inputs_to_read = program.n_inputs if program.steps else program.n_inputs - 1
        inputs_read = sum(1 for value in range(inputs_to_read) if reads[value])
        shown = {
            "fan_out": most >= 2,
            "shared_value": shared > 0,
            "self_operand": bool(trace.self_operands),
            "unused_input": inputs_read < inputs_to_read,
        }
        self.patterns.update(pattern for pattern, present in shown.items() if present)

    def update(self, other: Coverage) -> None:
        """Add ``other``'s counts to these."""
        for name in ("programs", "steps", "shared_values"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("most_uses", "longest_reach"):
            setattr(self, name, max(getattr(self, name), getattr(other, name)))
        for name in _COUNTERS:
            getattr(self, name).update(getattr(other, name))
        for op, verdicts in other.op_verdicts.items():
            self.op_verdicts[op].update(verdicts)

    # --- the document ----------------------------------------------------------------------

    def to_json(self) -> dict:
        """The counts as a JSON document, ops in the order of :data:`oracle.ops.OPS`::

            {"version": 1, "programs": 150, "steps": 1210,
             "verdicts": {"agree": 140, "fd unreliable": 10},      # cases
             "inputs": {"1": 50, ...}, "length": {"1": 9, ..., "9-16": 60},
             "depth": {...},                                      # histograms: programs
             "ops": {"tanh": {"steps": 90, "programs": 70,
                              "verdicts": {"agree": 66, ...}}, ...},
             "pairs": {"input": {"tanh": 20, ...}, "tanh": {"mul": 5, ...}, ...},
             "constants": {"sub": {"left": 4, "right": 6}, "pow": {"right": 30}, ...},
             "fan_out": {"uses": {"0": 3, "1": 900, "2": 200, "3": 40, "4+": 12},
                         "most_uses": 7, "shared_values": 180,
                         "self_operands": {"mul": 12, ...},
                         "reach": {"1": 700, "2": 150, ..., "9-16": 30},
                         "longest_reach": 14,
                         "programs": {"fan_out": 120, "shared_value": 110,
                                      "self_operand": 12, "unused_input": 30}}}

        Only what was seen is listed: an op, pair or bucket that is absent has count zero.
        """
        ops = _op_order(self.op_steps)
        producers = [INPUT, *_op_order({p for p, _ in self.pairs} - {INPUT})]
        return {
            "version": VERSION,
            "programs": self.programs,
            "steps": self.steps,
            "verdicts": dict(self.verdicts.most_common()),
            "inputs": _histogram(self.inputs),
            "length": _histogram(self.length),
            "depth": _histogram(self.depth),
            "ops": {
                op: {
                    "steps": self.op_steps[op],
                    "programs": self.op_programs[op],
                    "verdicts": dict(self.op_verdicts[op].most_common()),
                }
                for op in ops
            },
            "pairs": _nested(self.pairs, producers),
            "constants": _nested(self.constants, _op_order({op for op, _ in self.constants})),
            "fan_out": {
                "uses": _histogram(self.uses),
                "most_uses": self.most_uses,
                "shared_values": self.shared_values,
                "self_operands": {
                    op: self.self_operands[op] for op in _op_order(self.self_operands)
                },
                "reach": _histogram(self.reach),
                "longest_reach": self.longest_reach,
                "programs": {p: self.patterns[p] for p in PATTERNS if self.patterns[p]},
            },
        }

    @classmethod
    def from_json(cls, document: dict) -> Coverage:
        """The counts of a document made by :meth:`to_json` (raises :class:`CoverageError`)."""
        if not isinstance(document, dict) or document.get("version") != VERSION:
            found = document.get("version") if isinstance(document, dict) else document
            raise CoverageError(f"not a coverage document of version {VERSION}: {found!r}")
        try:
            return cls._read(document)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise CoverageError(f"malformed coverage document: {error!r}") from error

    @classmethod
    def _read(cls, document: dict) -> Coverage:
        coverage = cls()
        coverage.programs = _count(document["programs"])
        coverage.steps = _count(document["steps"])
        coverage.verdicts.update(_counts(document["verdicts"]))
        for name in ("inputs", "length", "depth"):
            getattr(coverage, name).update(_counts(document[name]))
        for op, entry in document["ops"].items():
            coverage.op_steps[op] = _count(entry["steps"])
            coverage.op_programs[op] = _count(entry["programs"])
            coverage.op_verdicts[op].update(_counts(entry["verdicts"]))
        for name in ("pairs", "constants"):
            for outer, inner in document[name].items():
                for key, count in _counts(inner).items():
                    getattr(coverage, name)[outer, key] = count
        fan_out = document["fan_out"]
        coverage.uses.update(_counts(fan_out["uses"]))
        coverage.most_uses = _count(fan_out["most_uses"])
        coverage.shared_values = _count(fan_out["shared_values"])
        coverage.self_operands.update(_counts(fan_out["self_operands"]))
        coverage.reach.update(_counts(fan_out["reach"]))
        coverage.longest_reach = _count(fan_out["longest_reach"])
        coverage.patterns.update(_counts(fan_out["programs"]))
        return coverage


@dataclass(frozen=True)
class _Trace:
    """What one pass over a program's steps gathers; :meth:`Coverage.add` counts from it."""

    producers: list[str]  # value index -> the op that made it (INPUT for inputs)
    read: list[int]  # every value operand, in program order
    reader: list[int]  # for each of them, the index of the step value reading it
    constants: list[tuple[str, str]]  # (op, "left" or "right") per constant operand
    self_operands: list[tuple[str, int]]  # (op, value) per step like v * v
    depth: int  # of the output: steps on the longest chain from an input


def _trace(program: Program) -> _Trace:
    """One pass over the steps. It runs on every drawn case, deep programs of thousands of
    steps included, so the loop only appends to local lists; ``Counter`` counts them in bulk."""
    n_inputs = program.n_inputs
    producers = [INPUT] * n_inputs
    depths = [0] * n_inputs
    read, reader, constants, self_operands = [], [], [], []
    for index, step in enumerate(program.steps, start=n_inputs):
        depth = 0
        side = "left"
        for operand in step.operands:
            if isinstance(operand, Const):
                constants.append((step.op, side))
            else:
                read.append(operand)
                reader.append(index)
                if depths[operand] > depth:
                    depth = depths[operand]
            side = "right"
        operands = step.operands
        if len(operands) == 2 and operands[0] == operands[1]:  # two ints: a Const != an int
            self_operands.append((step.op, operands[0]))
        producers.append(step.op)
        depths.append(depth + 1)
    return _Trace(producers, read, reader, constants, self_operands, depths[-1])


def merge(documents: Iterable[dict]) -> dict:
    """One coverage document adding up several (from :meth:`Coverage.to_json`).

    Counts add up; ``most_uses`` and ``longest_reach`` take the maximum. No documents give an
    empty coverage document. Raises :class:`CoverageError` for a malformed document.
    """
    total = Coverage()
    for document in documents:
        total.update(Coverage.from_json(document))
    return total.to_json()


def missing_pairs(document: dict, ops: Iterable[str]) -> list[tuple[str, str]]:
    """The (producer, consumer) pairs over ``ops`` (inputs as producer ``"input"``) that no
    operand of the document's programs exercised."""
    ops = list(ops)
    pairs = document["pairs"]
    return [
        (producer, consumer)
        for producer in (INPUT, *ops)
        for consumer in ops
        if not pairs.get(producer, {}).get(consumer)
    ]


def bucket_start(label: str) -> int:
    """The smallest count in a histogram bucket: ``"9-16"`` -> 9, ``"4+"`` -> 4."""
    return int(label.split("-")[0].rstrip("+"))


# --- helpers -------------------------------------------------------------------------------------


def _size_bucket(size: int) -> str:
    """``"1"`` .. ``"8"``, then ranges ending at powers of two: ``"9-16"``, ``"17-32"``..."""
    if size <= EXACT_SIZES:
        return str(size)
    top = 1 << (size - 1).bit_length()  # the power of two at or above size
    return f"{top // 2 + 1}-{top}"


def _uses_bucket(uses: int) -> str:
    return str(uses) if uses < MOST_USES_BUCKET else f"{MOST_USES_BUCKET}+"


def _histogram(counts: Counter) -> dict[str, int]:
    return {label: counts[label] for label in sorted(counts, key=bucket_start)}


def _op_order(ops: Iterable[str]) -> list[str]:
    """``ops`` in the order of the op table (unknown names last, alphabetically)."""
    order = {op: position for position, op in enumerate(OPS)}
    return sorted(ops, key=lambda op: (order.get(op, len(order)), op))


def _nested(counts: Counter, outer_order: list[str]) -> dict[str, dict[str, int]]:
    """``{(a, b): n}`` -> ``{a: {b: n}}``, outer keys in ``outer_order``, inner in op order."""
    nested: dict[str, dict[str, int]] = {outer: {} for outer in outer_order}
    for (outer, inner), count in counts.items():
        nested[outer][inner] = count
    return {
        outer: {inner: inners[inner] for inner in _inner_order(inners)}
        for outer, inners in nested.items()
        if inners
    }


def _inner_order(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    if set(keys) <= {"left", "right"}:
        return sorted(keys)  # left before right
    return _op_order(keys)


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _counts(mapping: dict) -> dict[str, int]:
    return {str(key): _count(value) for key, value in mapping.items()}
