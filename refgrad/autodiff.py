"""Automatic differentiation as graph -> graph transforms.

:func:`reverse` appends to a graph the nodes of its backward pass, built from the op table's
derivative rules (run on the graph builder's op namespace, so each rule emits nodes), and
returns one graph computing the original outputs and then the gradient of one output with
respect to every input. :func:`forward` (JVP) appends tangent inputs and the directional
derivative. Both return ordinary graphs, so applying :func:`reverse` again gives second
derivatives (a Hessian row per gradient output), and every pass and code generator applies.

The backward walk visits nodes in the same order as eager ``Value.backward`` (a depth-first
post-order from the output, operands pushed first to last), so on a graph with the eager
graph's shape the cotangents are summed in the same order and agree bit for bit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from refgrad.graph import Graph, GraphBuilder, Node
from refgrad.ops import OPS

_ADD = OPS["add"]


def reverse(graph: Graph, output: int = 0, builder: GraphBuilder | None = None) -> Graph:
    """Outputs of ``graph``, then d(outputs[output]) / d(input) for every input, in order.

    ``builder`` (empty) is where the result is built, a fresh GraphBuilder by default. A
    :class:`~refgrad.passes.simplify.SimplifyingBuilder` gives the gradient graph already
    simplified and folded, at a fraction of the cost of a separate pass: the walk follows
    ``graph``'s own nodes and applies each one's rule to the (value-equal) nodes the builder
    made for its operands, so the rules applied are those of the traced graph, as if
    differentiating first and simplifying after.
    """
    return reverse_each(graph, (output,), builder)


def reverse_each(
    graph: Graph, outputs: Sequence[int], builder: GraphBuilder | None = None
) -> Graph:
    """Outputs of ``graph``, then, for each chosen output in turn, its gradient with respect
    to every input: one backward pass per chosen output, sharing one copy of the forward.

    Applied to a gradient graph with every gradient output chosen, this gives the Hessian,
    row after row. ``builder`` is as for :func:`reverse`.
    """
    for output in outputs:
        _check_output(graph, output)
    builder, mapped = _copy(graph, GraphBuilder() if builder is None else builder)
    varies = _depends_on_inputs(graph.nodes)
    gradients = []
    for output in outputs:
        gradients += _gradient(graph, graph.outputs[output], builder, mapped, varies)
    names = _output_names(graph)
    gradient_names = tuple(
        f"d{names[output]}/d{node.name}" for output in outputs for node in graph.inputs
    )
    copied = [mapped[node.index] for node in graph.outputs]
    return builder.build(copied + gradients, names + gradient_names)


def _gradient(graph, root, builder, mapped, varies) -> list[Node]:
    """d(root)/d(input) for every input of ``graph``, as nodes of ``builder``."""
    ops = builder.ops
    add = functools.partial(builder.apply, _ADD)
    # By node index of `graph` (not by the nodes made: a rewriting builder may map two nodes
    # of `graph` to one). A list, not a dict keyed by id(): this loop runs per node.
    cotangents: list[Node | None] = [None] * len(graph.nodes)
    if varies[root.index]:
        cotangents[root.index] = builder.constant(1.0)
    for node in reversed(_post_order(root, varies)):
        op = node.op
        g = cotangents[node.index]
        if g is None or op is None:  # nothing flows here; or an input: keep its gradient
            continue
        operands = node.operands
        out = mapped[node.index]
        if len(operands) == 2:  # (not a comprehension: that is a call in CPython 3.11)
            arguments = (ops, g, mapped[operands[0].index], mapped[operands[1].index], out)
        else:
            arguments = (ops, g, *(mapped[operand.index] for operand in operands), out)
        for rule, operand in zip(op.vjp, operands, strict=True):
            position = operand.index
            if rule is None or not varies[position]:
                continue
            contribution = rule(*arguments)
            previous = cotangents[position]
            cotangents[position] = contribution if previous is None else add(previous, contribution)
    gradients = []
    for node in graph.inputs:
        gradient = cotangents[node.index]
        gradients.append(builder.constant(0.0) if gradient is None else gradient)
    return gradients


def forward(
    graph: Graph, output: int = 0, tangent_prefix: str = "t_", keep_outputs: bool = False
) -> Graph:
    """Inputs of ``graph`` plus one tangent input per input; outputs: the chosen output and
    its directional derivative along the tangents (a JVP). With ``keep_outputs``, every output
    of ``graph`` comes first (a traced function's guards among them), then the derivative.

    For a scalar op the local linear map is its own transpose, so the same per-operand rules
    that pull a cotangent back push a tangent forward: ``t_out = sum(rule_i(t_i, ...))``.
    """
    _check_output(graph, output)
    builder, mapped = _copy(graph, GraphBuilder())
    tangents: dict[int, Node] = {}
    for node in graph.inputs:
        tangents[id(mapped[node.index])] = builder.input(tangent_prefix + node.name)
    for old in graph.nodes:
        node = mapped[old.index]
        if node.op is None or not node.op.differentiable:
            continue
        total = None
        for rule, operand in zip(node.op.vjp, node.operands, strict=True):
            t = tangents.get(id(operand))
            if rule is None or t is None:
                continue
            contribution = rule(builder.ops, t, *node.operands, node)
            total = contribution if total is None else builder.apply(_ADD, total, contribution)
        if total is not None:
            tangents[id(node)] = total
    root = mapped[graph.outputs[output].index]
    tangent = tangents.get(id(root)) or builder.constant(0.0)
    names = _output_names(graph)
    jvp_name = f"jvp({names[output]})"
    if keep_outputs:
        kept = [mapped[node.index] for node in graph.outputs]
        return builder.build([*kept, tangent], (*names, jvp_name))
    return builder.build([root, tangent], (names[output], jvp_name))


def _copy(graph: Graph, builder: GraphBuilder) -> tuple[GraphBuilder, list[Node]]:
    """``builder`` holding a copy of ``graph``'s nodes, and the copy of each node by index."""
    mapped: list[Node] = []  # by node index, which is the node's position in a built graph
    for node in graph.nodes:
        op = node.op
        if op is not None:
            operands = node.operands  # (not a comprehension: that is a call in CPython 3.11)
            if len(operands) == 2:
                mapped.append(
                    builder.apply(op, mapped[operands[0].index], mapped[operands[1].index])
                )
            else:
                mapped.append(builder.apply(op, *(mapped[operand.index] for operand in operands)))
        elif node.name is not None:
            mapped.append(builder.input(node.name))
        else:
            mapped.append(builder.constant(node.value))
    return builder, mapped


def _depends_on_inputs(nodes: list[Node]) -> list[bool]:
    """Per node index: does its value depend on an input through differentiable ops?"""
    varies = [False] * len(nodes)
    for node in nodes:
        op = node.op
        if op is None:
            varies[node.index] = node.name is not None  # an input, not a constant
        elif op.differentiable:
            for operand in node.operands:
                if varies[operand.index]:
                    varies[node.index] = True
                    break
    return varies


def _post_order(root: Node, varies: list[bool]) -> list[Node]:
    """Nodes ``root`` depends on through varying nodes, operands first, in the order eager
    backward visits them (operands pushed first to last).

    ``refgrad.graph.post_order``'s walk, written out over node indices (it runs per node).
    """
    if not varies[root.index]:
        return []
    order: list[Node] = []
    done = bytearray(len(varies))
    stack: list[Node | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: every operand of the node below it is done
            order.append(stack.pop())
            continue
        if done[node.index]:
            continue
        done[node.index] = 1
        stack.append(node)
        stack.append(None)
        for operand in node.operands:
            if varies[operand.index] and not done[operand.index]:
                stack.append(operand)
    return order


def _output_names(graph: Graph) -> tuple[str, ...]:
    if graph.output_names:
        return graph.output_names
    return tuple(f"out{i}" if len(graph.outputs) > 1 else "out" for i in range(len(graph.outputs)))


def _check_output(graph: Graph, output: int) -> None:
    if not isinstance(output, int) or not -len(graph.outputs) <= output < len(graph.outputs):
        raise ValueError(
            f"output={output!r} is out of range: the graph has {len(graph.outputs)} output(s)"
        )
