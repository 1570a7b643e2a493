"""Algebraic simplification that is exact for every float64, including ±inf, nan and -0.0.

School algebra is not IEEE algebra (DESIGN.md principle 3): ``x * 0.0`` is nan at ``x = inf``
and ``x + 0.0`` is ``+0.0`` at ``x = -0.0``. So this pass applies only rewrites that give the
same float as the original expression for every operand value, each with its proof below, and
the tests check every one of them, and every rejected one, at the special values. (As
everywhere in the passes, a nan stays a nan but its sign and payload may change: IEEE 754
leaves them unspecified for arithmetic; ``nan * -1.0`` keeps the sign where ``-nan`` flips it.)

Rewrites, with why each is exact (``x``, ``y``, ``a`` any node; ``c`` a constant)::

    x * 1.0  -> x        exact product x*1 is representable; sign(x) xor + keeps ±0, ±inf; nan
    1.0 * x  -> x        multiplication commutes (as values); then as above
    x * -1.0 -> -x       exact product -x is representable; the sign flips for ±0, ±inf too
    -1.0 * x -> -x       multiplication commutes; then as above
    x / 1.0  -> x        x/1 = x exactly, sign kept; 1.0 is not 0, so no pole (inf/1 = inf)
    x / -1.0 -> -x       x/-1 = -x exactly, sign flipped, ±0 and ±inf included
    x + -0.0 -> x        -0 is the additive identity: +0 + -0 = +0, -0 + -0 = -0, else exact
    -0.0 + x -> x        addition commutes (as values); then as above
    x - 0.0  -> x        x - y is x + (-y) (IEEE 754 5.4.1), so this is x + -0.0
    -0.0 - x -> -x       it is -0.0 + (-x), the rule above applied to -x
    x - (-y) -> x + y    it is x + -(-y), and negation is exact (a sign-bit flip)
    x + (-y) -> x - y    x - y is defined as x + (-y)
    (-x) + y -> y - x    addition commutes (as values); then as above
    -(-x)    -> x        negation flips the sign bit; twice restores every bit pattern
    x ** 1.0 -> x        C99 F.9.4.4 gives ±0, ±inf, nan back; finite x: see the note below
    x ** ±0.0 -> 1.0     C99 F.9.4.4: pow(x, ±0) = 1 for every x, nan included
    1.0 ** y -> 1.0      C99 F.9.4.4: pow(+1, y) = 1 for every y, nan included
    abs(-x)  -> abs(x)   abs clears the sign bit, neg flips it: bit operations on every x
    abs(abs(x)) -> abs(x)       clearing the sign bit twice is clearing it once
    relu(relu(x)) -> relu(x)    relu(x) is 0.0 if x < 0 else x, and relu(x) < 0 never holds
    relu(abs(x)) -> abs(x)      abs(x) < 0 never holds (nan compares false), so relu passes it
    sign(sign(x)) -> sign(x)    sign(x) is 1.0, -1.0 or 0.0, each its own sign
    zero_where(±0.0, a) -> a    a false condition selects a (a select: a's bits pass as is)
    zero_where(c, a) -> 0.0     c a nonzero constant (nan too: it is truthy): selects 0.0
    zero_where(c, 0.0) -> 0.0   both branches are +0.0
    zero_where(c, zero_where(c, a)) -> zero_where(c, a)   true c: 0.0 both; false: a both
    x == nan, nan == x -> 0.0   every ordered comparison with a nan is false (IEEE 754 5.11),
    x <= nan, nan <= x -> 0.0   and a false comparison op gives 0.0 ...
    x >= nan, nan >= x -> 0.0
    x < nan, nan < x -> 0.0
    x > nan, nan > x -> 0.0
    x != nan, nan != x -> 1.0   ... but != is true for unordered operands: 1.0
    x < x -> 0.0                no float is less than itself, and nan < nan is false too
    x > x -> 0.0                likewise

Note on ``x ** 1.0``: it is the one rewrite that leans on libm rather than on IEEE 754 alone,
which does not require pow to be correctly rounded. For finite x the true result x is a float,
and pow's error before its final rounding (glibc and musl: under 0.02 ulp of the 0.52 ulp
total) is far below the half ulp it would take to round elsewhere. The tests check it at every
binade boundary and on random bit patterns.

Rejected rewrites, each with a counterexample::

    x * 0.0  -> 0.0      inf * 0.0 = nan, and -1.0 * 0.0 = -0.0
    x + 0.0  -> x        -0.0 + 0.0 = +0.0
    x - -0.0 -> x        it is x + 0.0: -0.0 - -0.0 = +0.0
    0.0 - x  -> -x       0.0 - 0.0 = +0.0 but -(0.0) = -0.0
    -(x - y) -> y - x    x = y = 1.0: -(1.0 - 1.0) = -0.0 but 1.0 - 1.0 = +0.0
    x - x    -> 0.0      inf - inf = nan, nan - nan = nan
    x / x    -> 1.0      0/0, inf/inf and nan/nan are nan
    (x + y) - y -> x     x = 1.0, y = 1e16 gives 0.0 (rounding); y = inf gives nan
    x ** 2.0 -> x * x    pow is not correctly rounded: x = 0x1.83e0b101c793ep-34 differs
    x ** -1.0 -> 1.0 / x        x = 0x1.a14c1b89b872dp+0 differs in the last bit
    x ** 0.5 -> sqrt(x)  pow(-0.0, 0.5) = +0.0 but sqrt(-0.0) = -0.0; pow(-inf, 0.5) = inf, sqrt nan
    sqrt(x * x) -> abs(x)       x = 1e200: x * x overflows to inf
    exp(log(x)) -> x     x = 3.0 gives 3.0000000000000004; x = -1.0 gives nan
    log(exp(x)) -> x     x = 1000.0: exp overflows, log(inf) = inf
    sign(-x) -> -sign(x)        x = 0.0: sign(-0.0) = 0.0 but -sign(0.0) = -0.0
    abs(relu(x)) -> relu(x)     x = -0.0: relu keeps -0.0, abs makes it +0.0
    x == x   -> 1.0      nan == nan is false: 0.0 (the same for <= and >=)
    x != x   -> 0.0      nan != nan is true: 1.0
    x <= inf -> 1.0      nan <= inf is false: 0.0 (the same for -inf <= x, and >=)
    zero_where(c, -0.0) -> -0.0  a true c selects +0.0
    zero_where(x, x) -> 0.0      x = -0.0 is false and selects x = -0.0 (x = 2.0 gives 0.0)

Exact but not done: ``x / 2.0**k -> x * 2.0**-k`` (both round the same real number) is a
strength reduction, not a simplification, and would make printed graphs drift from the source.

The rewrites keep values, not derivative rules: differentiate first, then optimize. (Applying
the op table's rules to an optimized graph can differ: ``1.0 ** y -> 1.0`` drops the path to
``y``, where the pow rule gives ``g * (1.0 * log(1.0))``, which is nan when ``g`` is inf.)

The pass is one forward sweep (:func:`refgrad.graph.rebuild`): operands arrive simplified, and
a rewrite that builds a new expression (``x * -1.0 -> -x``) simplifies that expression too, so
``-(x * -1.0)`` becomes ``x`` in one run. Nodes that rewrites leave unused stay for
dead-code elimination.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from refgrad.collector import collector_paused
from refgrad.graph import Graph, GraphBuilder, Node, rebuild
from refgrad.ops import OPS, Op
from refgrad.passes import PassResult
from refgrad.passes._support import result


class Build(NamedTuple):
    """A rewrite's result that is a new expression: ``op`` on ``operands`` (simplified too)."""

    op: Op
    operands: tuple[Node, ...]


Replacement = Node | float | Build
"""What a rewrite returns: an existing node, a constant's value, or a new expression."""


@dataclass(frozen=True)
class Rewrite:
    """One rewrite: ``apply(*operands)`` returns the replacement, or None if it does not match."""

    op: str  # the op at the root of the pattern
    pattern: str  # as the module docstring's table writes it
    apply: Callable[..., Replacement | None]
    # True if it can match only when an operand is a constant: the pass then skips it on
    # other nodes, which are most nodes (tests/test_passes.py checks every row's claim).
    needs_constant: bool = True


# ---------------------------------------------------------------------------------------------
# Matching helpers. Constants match by bit pattern: 0.0 and -0.0 are different patterns.
# ---------------------------------------------------------------------------------------------


def _is(node: Node, number: float) -> bool:
    """``node`` is the constant ``number`` (never nan), bit for bit: equal, and the same sign
    (which only tells 0.0 from -0.0). Written out, not ``struct.pack``: it runs per node."""
    return (
        node.op is None
        and node.name is None
        and node.value == number
        and math.copysign(1.0, node.value) == math.copysign(1.0, number)
    )


def _is_zero(node: Node) -> bool:
    """``node`` is the constant +0.0 or -0.0."""
    return node.is_constant and node.value == 0.0


def _is_nan(node: Node) -> bool:
    return node.is_constant and math.isnan(node.value)


def _is_op(node: Node, name: str) -> bool:
    return node.op is OPS[name]


def _inner(node: Node) -> Node:
    """The operand of a unary op node."""
    return node.operands[0]


_NEG, _ADD, _SUB, _ABS = OPS["neg"], OPS["add"], OPS["sub"], OPS["abs"]


# The IEEE comparisons the table may hold, by name: symbol, and what the op gives when an
# operand is nan (every ordered comparison is false, != is true: IEEE 754 5.11).
_COMPARISONS = {
    "eq": ("==", 0.0),
    "le": ("<=", 0.0),
    "ge": (">=", 0.0),
    "lt": ("<", 0.0),
    "gt": (">", 0.0),
    "ne": ("!=", 1.0),
}


def _with_nan(result: float) -> Callable[[Node, Node], float | None]:
    return lambda x, y: result if _is_nan(x) or _is_nan(y) else None


def _never_strictly_less(x: Node, y: Node) -> float | None:
    return 0.0 if x is y else None


def _comparison_rewrites() -> tuple[Rewrite, ...]:
    """Rewrites for the comparison ops the table holds (only those, so the table can grow)."""
    rewrites = []
    for name, (symbol, unordered) in _COMPARISONS.items():
        if name not in OPS:
            continue
        pattern = f"x {symbol} nan, nan {symbol} x -> {unordered}"
        rewrites.append(Rewrite(name, pattern, _with_nan(unordered)))
        if name in ("lt", "gt"):
            rewrites.append(
                Rewrite(name, f"x {symbol} x -> 0.0", _never_strictly_less, needs_constant=False)
            )
    return tuple(rewrites)


# The table (the module docstring proves each row). The first rewrite that matches applies.
REWRITES: tuple[Rewrite, ...] = (
    Rewrite("mul", "x * 1.0 -> x", lambda x, y: x if _is(y, 1.0) else None),
    Rewrite("mul", "1.0 * x -> x", lambda x, y: y if _is(x, 1.0) else None),
    Rewrite("mul", "x * -1.0 -> -x", lambda x, y: Build(_NEG, (x,)) if _is(y, -1.0) else None),
    Rewrite("mul", "-1.0 * x -> -x", lambda x, y: Build(_NEG, (y,)) if _is(x, -1.0) else None),
    Rewrite("div", "x / 1.0 -> x", lambda x, y: x if _is(y, 1.0) else None),
    Rewrite("div", "x / -1.0 -> -x", lambda x, y: Build(_NEG, (x,)) if _is(y, -1.0) else None),
    Rewrite("add", "x + -0.0 -> x", lambda x, y: x if _is(y, -0.0) else None),
    Rewrite("add", "-0.0 + x -> x", lambda x, y: y if _is(x, -0.0) else None),
    Rewrite("sub", "x - 0.0 -> x", lambda x, y: x if _is(y, 0.0) else None),
    Rewrite("sub", "-0.0 - x -> -x", lambda x, y: Build(_NEG, (y,)) if _is(x, -0.0) else None),
    Rewrite(
        "sub",
        "x - (-y) -> x + y",
        lambda x, y: Build(_ADD, (x, _inner(y))) if _is_op(y, "neg") else None,
        needs_constant=False,
    ),
    Rewrite(
        "add",
        "x + (-y) -> x - y",
        lambda x, y: Build(_SUB, (x, _inner(y))) if _is_op(y, "neg") else None,
        needs_constant=False,
    ),
    Rewrite(
        "add",
        "(-x) + y -> y - x",
        lambda x, y: Build(_SUB, (y, _inner(x))) if _is_op(x, "neg") else None,
        needs_constant=False,
    ),
    Rewrite(
        "neg", "-(-x) -> x", lambda x: _inner(x) if _is_op(x, "neg") else None, needs_constant=False
    ),
    Rewrite("pow", "x ** 1.0 -> x", lambda x, y: x if _is(y, 1.0) else None),
    Rewrite("pow", "x ** ±0.0 -> 1.0", lambda x, y: 1.0 if _is_zero(y) else None),
    Rewrite("pow", "1.0 ** y -> 1.0", lambda x, y: 1.0 if _is(x, 1.0) else None),
    Rewrite(
        "abs",
        "abs(-x) -> abs(x)",
        lambda x: Build(_ABS, (_inner(x),)) if _is_op(x, "neg") else None,
        needs_constant=False,
    ),
    Rewrite(
        "abs",
        "abs(abs(x)) -> abs(x)",
        lambda x: x if _is_op(x, "abs") else None,
        needs_constant=False,
    ),
    Rewrite(
        "relu",
        "relu(relu(x)) -> relu(x)",
        lambda x: x if _is_op(x, "relu") else None,
        needs_constant=False,
    ),
    Rewrite(
        "relu",
        "relu(abs(x)) -> abs(x)",
        lambda x: x if _is_op(x, "abs") else None,
        needs_constant=False,
    ),
    Rewrite(
        "sign",
        "sign(sign(x)) -> sign(x)",
        lambda x: x if _is_op(x, "sign") else None,
        needs_constant=False,
    ),
    # zero_where(c, a) is "0.0 if c else a" (see ops.zero_where): truthiness decides, so a
    # constant condition decides the select, nan (truthy) included.
    Rewrite("zero_where", "zero_where(±0.0, a) -> a", lambda c, a: a if _is_zero(c) else None),
    Rewrite(
        "zero_where",
        "zero_where(c, a) -> 0.0",
        lambda c, a: 0.0 if c.is_constant and not _is_zero(c) else None,
    ),
    Rewrite("zero_where", "zero_where(c, 0.0) -> 0.0", lambda c, a: 0.0 if _is(a, 0.0) else None),
    Rewrite(
        "zero_where",
        "zero_where(c, zero_where(c, a)) -> zero_where(c, a)",
        lambda c, a: a if _is_op(a, "zero_where") and a.operands[0] is c else None,
        needs_constant=False,
    ),
    *_comparison_rewrites(),
)

_BY_OP: dict[Op, tuple[Rewrite, ...]] = {
    op: tuple(rewrite for rewrite in REWRITES if rewrite.op == name) for name, op in OPS.items()
}
# The same, for nodes without a constant operand.
_BY_OP_WITHOUT_CONSTANTS: dict[Op, tuple[Rewrite, ...]] = {
    op: tuple(rewrite for rewrite in rewrites if not rewrite.needs_constant)
    for op, rewrites in _BY_OP.items()
}


def simplified(
    builder: GraphBuilder,
    op: Op,
    operands: tuple[Node, ...],
    fired: dict[str, int],
    fold: bool = False,
) -> Node:
    """The node for ``op(*operands)`` after every rewrite that applies; counts them in ``fired``.

    With ``fold``, a pure op whose operands are all constants becomes a constant first
    (through ``op.forward``, as the fold pass does), also after a rewrite: then a sweep in
    topological order leaves every node in normal form, with no second round needed.

    A rewrite that yields a new expression sends it round the loop again. That ends: each such
    rewrite either makes a ``neg`` (which only ``-(-x) -> x`` rewrites, to an existing node)
    or strips one ``neg`` off an operand, and operands are finite.
    """
    while True:
        constants = 0
        for operand in operands:  # (Node.is_constant, inline: this runs for every node made)
            if operand.op is None and operand.name is None:
                constants += 1
        if fold and constants == len(operands) and op.pure:
            fired["fold"] = fired.get("fold", 0) + 1
            return builder.constant(op.forward(*(operand.value for operand in operands)))
        candidates = _BY_OP[op] if constants else _BY_OP_WITHOUT_CONSTANTS[op]
        for rewrite in candidates:
            replacement = rewrite.apply(*operands)
            if replacement is not None:
                break
        else:
            return builder.interned(op, operands)
        fired[rewrite.pattern] = fired.get(rewrite.pattern, 0) + 1
        if isinstance(replacement, Node):
            return replacement
        if isinstance(replacement, float):
            return builder.constant(replacement)
        op, operands = replacement


class SimplifyingBuilder(GraphBuilder):
    """A graph builder that simplifies and folds every node as it is made.

    Operands arrive already simplified (they were made here too), so a graph built here is
    in the normal form one sweep of this pass with folding gives, without the sweep:
    :func:`refgrad.autodiff.reverse` emits the gradient graph into one. Nodes that rewrites
    leave unused stay, for dead-code elimination. ``fired`` counts the rewrites, as ``run``
    does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fired: dict[str, int] = {}

    def apply(self, op: Op, *operands: Node | float) -> Node:
        return simplified(self, op, self._operand_nodes(op, operands), self.fired, fold=True)


def run(graph: Graph, fold: bool = False) -> PassResult:
    fired: dict[str, int] = {}

    def rewrite(builder: GraphBuilder, node: Node, operands: tuple[Node, ...]) -> Node:
        return simplified(builder, node.op, operands, fired, fold)

    with collector_paused():
        new = rebuild(graph, rewrite)
    # Re-interning alone can also shrink a graph that was not interned (see cse).
    changed = bool(fired) or len(new.nodes) != len(graph.nodes)
    details = f"{_describe(fired)}, {len(graph.nodes)} -> {len(new.nodes)} nodes"
    return result(graph, new, changed, details)


def _describe(fired: dict[str, int]) -> str:
    """Which rewrites fired, in table order (deterministic): ``3 rewrites (-(-x) -> x: 3)``."""
    counts = [
        f"{rewrite.pattern}: {fired[rewrite.pattern]}"
        for rewrite in REWRITES
        if rewrite.pattern in fired
    ] + ([f"folded: {fired['fold']}"] if "fold" in fired else [])
    total = sum(fired.values())
    return f"{total} rewrites" + (f" ({'; '.join(counts)})" if counts else "")
