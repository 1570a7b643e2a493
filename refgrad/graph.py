"""The static graph IR: SSA nodes over the op table's primitives.

A :class:`Graph` is a straight-line program: inputs (placeholders), constants, one op per node
over earlier nodes, and outputs. Nodes are numbered in a topological order (operands come
first), and every walk over a graph is a loop over that list, never a recursion.

Graphs are built by a :class:`GraphBuilder`, which *interns*: asking for the same op on the
same operands (or the same constant, bit for bit) returns the existing node, so common
subexpressions are shared as they are built (hash-consing, as in tinygrad). The builder is
also an op namespace (``builder.ops``), so the op table's derivative rules emit graph nodes
exactly as they compute floats or record Values.

``print(graph)`` shows the graph as a Python function; :meth:`Graph.verify` checks that it is
well formed and raises :class:`GraphError` naming the first problem it finds.
"""

from __future__ import annotations

import array
import functools
import marshal
import math
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from refgrad.ops import OPS, Op, OpNamespace

T = TypeVar("T")


class GraphError(ValueError):
    """A graph is not well formed, or a graph was used with the wrong arguments."""


@dataclass(
    eq=False, slots=True
)  # nodes are identities: two equal-looking nodes are still two nodes
class Node:
    """One SSA value: an input, a constant, or an op applied to earlier nodes."""

    index: int
    op: Op | None  # None for inputs and constants
    operands: tuple[Node, ...] = ()
    value: float | None = None  # a constant's number
    name: str | None = None  # an input's name

    @property
    def is_input(self) -> bool:
        return self.op is None and self.name is not None

    @property
    def is_constant(self) -> bool:
        return self.op is None and self.name is None

    def __repr__(self) -> str:
        return f"<node {_reference(self)}>"


def _reference(node: Node) -> str:
    """How a node appears as an operand: its input name, its constant, or v<index>."""
    if node.is_input:
        return node.name
    if node.is_constant:
        return _literal(node.value)
    return f"v{node.index}"


def _literal(number: float) -> str:
    """Python source for a float constant (inf and nan are not Python literals)."""
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)


def _constant_key(number: float) -> bytes:
    # Interned by bit pattern: 0.0 and -0.0 are different constants (x + 0.0 is not x + -0.0).
    return struct.pack("<d", number)


@dataclass
class Graph:
    """A straight-line program. Build one with :class:`GraphBuilder`; do not mutate it."""

    nodes: list[Node]
    inputs: tuple[Node, ...]
    outputs: tuple[Node, ...]
    output_names: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        lines = [f"def graph({', '.join(node.name for node in self.inputs)}):"]
        for node in self.nodes:
            if node.op is not None:
                operands = [_reference(operand) for operand in node.operands]
                lines.append(f"    v{node.index} = {node.op.syntax.format(*operands)}")
        if self.output_names:
            lines.append(f"    # returns: {', '.join(self.output_names)}")
        lines.append(f"    return {', '.join(_reference(node) for node in self.outputs)}")
        return "\n".join(lines)

    def used_ops(self) -> list[Op]:
        """The ops the graph uses, each once, in order of first use."""
        return list(dict.fromkeys(node.op for node in self.nodes if node.op is not None))

    def to_bytes(self) -> bytes:
        """The graph packed into bytes (:meth:`from_bytes` unpacks it).

        Compact, and free for the garbage collector to keep: a compiled function keeps its
        graph this way, to write its source only if asked (a graph of Node objects would be
        scanned by every full collection: 0.1 s for a 100,000-node gradient graph).
        """
        ops = self.used_ops()
        for op in ops:  # an op is packed by its name, so it must be the table's
            if OPS.get(op.name) is not op:
                raise GraphError(f"op {op.name!r} is not the op table's: it cannot be packed")
        op_names = [op.name for op in ops]
        code_of = {op: code for code, op in enumerate(ops, start=2)}
        kinds = bytearray()  # per node: 0 an input, 1 a constant, 2.. an op (op_names' order)
        operands = array.array("i")  # (a graph of 2**31 nodes would not fit in memory)
        constants: list[float] = []
        for node in self.nodes:  # (one loop, no comprehensions: it runs per node)
            op = node.op
            if op is not None:
                kinds.append(code_of[op])
                for operand in node.operands:
                    operands.append(operand.index)
            elif node.name is None:
                kinds.append(1)
                constants.append(node.value)
            else:
                kinds.append(0)
        packed = (
            tuple(op_names),
            bytes(kinds),
            operands.tobytes(),
            tuple(constants),
            tuple(node.name for node in self.inputs),
            tuple(node.index for node in self.outputs),
            tuple(self.output_names),
        )
        return marshal.dumps(packed)

    @classmethod
    def from_bytes(cls, data: bytes) -> Graph:
        """The graph :meth:`to_bytes` packed, node for node."""
        op_names, kinds, packed_operands, constants, names, outputs, output_names = marshal.loads(
            data
        )
        ops = [None, None, *(OPS[name] for name in op_names)]
        operands = array.array("i")
        operands.frombytes(packed_operands)
        nodes: list[Node] = []
        inputs = []
        next_operand = next_constant = 0
        for index, kind in enumerate(kinds):
            if kind == 0:
                node = Node(index, None, name=names[len(inputs)])
                inputs.append(node)
            elif kind == 1:
                node = Node(index, None, value=constants[next_constant])
                next_constant += 1
            else:
                op = ops[kind]
                end = next_operand + op.arity
                reads = tuple(nodes[position] for position in operands[next_operand:end])
                node = Node(index, op, reads)
                next_operand = end
            nodes.append(node)
        return cls(nodes, tuple(inputs), tuple(nodes[i] for i in outputs), output_names)

    @property
    def op_count(self) -> int:
        """How many op nodes (not inputs or constants) the graph holds."""
        return sum(1 for node in self.nodes if node.op is not None)

    def verify(self) -> Graph:
        """Check that the graph is well formed; return it, or raise GraphError."""
        seen: set[int] = set()
        interned: dict[tuple, Node] = {}
        for position, node in enumerate(self.nodes):
            where = f"node {position} ({node!r})"
            if node.index != position:
                raise GraphError(f"{where} has index {node.index}, expected {position}")
            for operand in node.operands:
                if id(operand) not in seen:
                    raise GraphError(f"{where} uses {operand!r}, which is not defined before it")
            if node.op is None:
                if node.operands:
                    raise GraphError(f"{where} is an input or constant but has operands")
                if node.name is None and not isinstance(node.value, float):
                    raise GraphError(f"{where} is a constant without a float value")
            else:
                if OPS.get(node.op.name) is not node.op:
                    raise GraphError(f"{where} uses an op that is not in the op table")
                if len(node.operands) != node.op.arity:
                    raise GraphError(
                        f"{where}: {node.op.name} takes {node.op.arity} operands, "
                        f"got {len(node.operands)}"
                    )
                key = (node.op, tuple(id(operand) for operand in node.operands))
                if key in interned:
                    raise GraphError(f"{where} duplicates {interned[key]!r} (not interned)")
                interned[key] = node
            seen.add(id(node))
        declared = [node for node in self.nodes if node.is_input]
        if list(self.inputs) != declared:
            raise GraphError("graph.inputs must list every input node, in order")
        names = [node.name for node in self.inputs]
        if len(set(names)) != len(names):
            raise GraphError(f"input names must be unique, got {names}")
        if not self.outputs:
            raise GraphError("a graph needs at least one output")
        for node in self.outputs:
            if id(node) not in seen:
                raise GraphError(f"output {node!r} is not a node of this graph")
        if self.output_names and len(self.output_names) != len(self.outputs):
            raise GraphError("output_names must name every output")
        return self


class GraphBuilder:
    """Builds a :class:`Graph` node by node, interning ops and constants."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._inputs: list[Node] = []
        self._input_names: set[str] = set()  # beside _inputs: a duplicate check in O(1)
        self._interned: dict[tuple, Node] = {}

    @functools.cached_property
    def ops(self) -> OpNamespace:
        """The op namespace over this builder: derivative rules run here emit nodes."""
        return OpNamespace(self.apply)

    def input(self, name: str) -> Node:
        if not isinstance(name, str) or not name.isidentifier():
            raise GraphError(f"an input name must be a Python identifier, got {name!r}")
        if name in self._input_names:
            raise GraphError(f"there is already an input named {name!r}")
        node = self._add(Node(len(self.nodes), None, name=name))
        self._inputs.append(node)
        self._input_names.add(name)
        return node

    def constant(self, number: float) -> Node:
        number = float(number)
        key = ("constant", _constant_key(number))
        node = self._interned.get(key)
        if node is None:
            node = self._interned[key] = self._add(Node(len(self.nodes), None, value=number))
        return node

    def apply(self, op: Op, *operands: Node | float) -> Node:
        """``op`` applied to nodes (or numbers, which become constants), interned."""
        return self.interned(op, self._operand_nodes(op, operands))

    def _operand_nodes(self, op: Op, operands: tuple[Node | float, ...]) -> tuple[Node, ...]:
        """``operands`` checked against ``op``'s arity, numbers made constants."""
        if len(operands) != op.arity:
            raise GraphError(f"{op.name} takes {op.arity} operands, got {len(operands)}")
        for operand in operands:  # (a loop, no copy, when all are nodes: it runs per node)
            if type(operand) is not Node:
                return tuple([self._as_node(operand) for operand in operands])
        return operands

    def interned(self, op: Op, operands: tuple[Node, ...]) -> Node:
        """The node ``op(*operands)``, made unless it exists: no checks, no rewriting.

        ``apply`` is the door that checks and converts; a subclass that rewrites nodes as
        they are made (refgrad.passes.simplify.SimplifyingBuilder) overrides it and ends here.
        """
        # Nodes hash and compare by identity (eq=False), so the operands tuple itself is the
        # key: no tuple of ids to build (measured: reverse mode 11% faster).
        key = (op, operands)
        node = self._interned.get(key)
        if node is None:
            nodes = self.nodes
            node = self._interned[key] = Node(len(nodes), op, operands)
            nodes.append(node)
        return node

    def build(self, outputs: Sequence[Node], output_names: Iterable[str] = ()) -> Graph:
        # Forget the cached op namespace (made again if asked for): its functions hold this
        # builder's bound `apply`, a reference cycle that would keep the builder and every
        # node it interned alive until the cyclic collector ran, and make that collection
        # long (8,000 objects for the gradient graph of a 1,000-node function).
        self.__dict__.pop("ops", None)
        return Graph(list(self.nodes), tuple(self._inputs), tuple(outputs), tuple(output_names))

    def _as_node(self, operand: Node | float) -> Node:
        if isinstance(operand, Node):
            return operand
        if isinstance(operand, float):
            return self.constant(operand)
        raise GraphError(f"a graph operand must be a Node or a float, got {operand!r}")

    def _add(self, node: Node) -> Node:
        self.nodes.append(node)
        return node


def rebuild(
    graph: Graph,
    rewrite: Callable[[GraphBuilder, Node, tuple[Node, ...]], Node] | None = None,
) -> Graph:
    """Copy ``graph`` through a fresh builder, in order, letting ``rewrite`` replace nodes.

    ``rewrite(builder, node, operands)`` gets an op node of the old graph and its operands
    already mapped into the new one, and returns the node to use instead (by default the same
    op on the mapped operands). Re-interning on the way merges nodes that became identical.
    Nodes no output needs are copied too: dead-code elimination is its own pass.
    """
    builder = GraphBuilder()
    mapped: dict[int, Node] = {}
    for node in graph.nodes:
        if node.is_input:
            new = builder.input(node.name)
        elif node.is_constant:
            new = builder.constant(node.value)
        else:
            operands = tuple(mapped[id(operand)] for operand in node.operands)
            if rewrite is None:
                new = builder.apply(node.op, *operands)
            else:
                new = rewrite(builder, node, operands)
        mapped[id(node)] = new
    return builder.build([mapped[id(node)] for node in graph.outputs], graph.output_names)


def post_order(
    roots: Sequence[T], operands_of: Callable[[T], Iterable[T]], done: set[int] | None = None
) -> list[T]:
    """Everything reachable from ``roots``, each item after the operands it depends on.

    A depth-first post-order walk with an explicit stack (graphs can be a million deep), so
    deterministic: ``operands_of(item)`` lists what to visit, in the order it is pushed (the
    last one is visited first). Ids in ``done`` count as visited already. Works for graph
    nodes and eager Values alike.
    """
    order: list[T] = []
    done = set() if done is None else done
    stack: list[T | None] = list(reversed(roots))
    while stack:
        item = stack.pop()
        if item is None:  # the marker: every operand of the item below it is done
            order.append(stack.pop())
            continue
        if id(item) in done:
            continue
        done.add(id(item))
        stack.append(item)
        stack.append(None)
        for operand in operands_of(item):
            if id(operand) not in done:
                stack.append(operand)
    return order
