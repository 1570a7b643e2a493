"""The compiled mode against a floor: how long CPython takes for the same operations at best.

    python -m benchmarks.floor [--nodes N] [--rounds R] [--out DIR]

The compiled mode's run time is the generated function's, and that function is straight-line
Python: one bytecode dispatch per load, store and operation, one new float per operation. The
floor is the least such code can cost. It is a straight-line function with exactly the
operations of the gradient graph the compiled mode runs (every op node an output needs, with
its constants, in graph order), but:

* one statement per op, the simplest code there is (the compiled mode fuses single-use ops
  into their reader's expression, which saves a store and a load each);
* a register file of :data:`FLOOR_LOCALS` locals, used round robin, so that no load or store
  needs an EXTENDED_ARG prefix (the generated function needs one local per value alive at
  once: 526 at 1,000 nodes). An operand still in the register file is read from there; one
  overwritten since is read from the newest value instead. So the floor computes something
  else than the graph, with the same operations on the same kind of numbers: at 1,000 nodes
  most of them are zeros in both (relu's zeros spread through the products), and the
  floor's nonzero ones stay finite.

Times are warm (back to back, timeit, with the cyclic collector on as in any program), the best
of interleaved rounds; micrograd's forward + backward of the same DAG is timed the same way.
The issue on the static and compiled modes asks for a compiled run at most 1/50 of
micrograd's time: the floor shows how much of that CPython leaves room for.
"""

from __future__ import annotations

import argparse
import math
import sys
import timeit
from pathlib import Path

import refgrad.codegen as codegen
from benchmarks import summary
from benchmarks.workloads import Workload, random_dag
from refgrad.collector import collector_paused
from refgrad.graph import Graph
from refgrad.memory import needed_nodes
from refgrad.modes import gradient_graph
from refgrad.trace import trace

# Locals after the parameters: every local index fits one byte (no EXTENDED_ARG) while the
# function has at most 56 parameters (the random DAG has 8).
FLOOR_LOCALS = 200
COMMAND = "python -m benchmarks.floor"


def floor_source(graph: Graph, name: str = "floor") -> str:
    """The floor's source for ``graph`` (see the module docstring)."""
    parameters = [f"x{i}" for i in range(len(graph.inputs))]
    where: dict[int, str] = dict(
        zip((node.index for node in graph.inputs), parameters, strict=True)
    )
    holds: dict[str, int] = {}  # register -> the node whose value it holds now
    needed = needed_nodes(graph)
    newest = parameters[0] if parameters else "0.0"
    lines = [f"def {name}({', '.join(parameters)}):"]
    statement = 0
    for node in graph.nodes:
        if node.op is None or not needed[node.index]:
            continue
        operands = [_operand(operand, where, holds, newest) for operand in node.operands]
        register = f"r{statement % FLOOR_LOCALS}"
        lines.append(f"    {register} = {codegen.python_template(node.op).format(*operands)}")
        where[node.index], holds[register], newest = register, node.index, register
        statement += 1
    lines.append(f"    return ({newest},)")
    return "\n".join(lines) + "\n"


def _operand(operand, where: dict[int, str], holds: dict[str, int], newest: str) -> str:
    """How the floor reads ``operand``: its literal, its parameter or register, or, if its
    register has been overwritten since, the newest value."""
    if operand.is_constant:  # (inf and nan have no literal: the newest value stands in)
        return repr(operand.value) if math.isfinite(operand.value) else newest
    register = where[operand.index]
    if register in holds and holds[register] != operand.index:
        return newest
    return register


def gradient_graph_of(workload: Workload) -> Graph:
    """The gradient graph the compiled mode runs for ``workload`` (every input differentiated)."""
    positions = tuple(range(len(workload.inputs)))
    with collector_paused():
        return gradient_graph(trace(workload.forward, workload.inputs, {}, positions).graph)


def _functions(nodes: int):
    """The workload, the compiled mode's generated function (fast path) and the floor."""
    workload = random_dag(nodes, seed=0)
    graph = gradient_graph_of(workload)
    with collector_paused():
        compiled = codegen.compile_python(graph)
    generated = compiled.functions[-1]  # the fast forwards' copy, where the table has any
    namespace = dict(generated.__globals__)
    source = floor_source(graph)
    exec(compile(source, "<refgrad floor>", "exec"), namespace)
    operations = len(source.splitlines()) - 2  # a statement per operation
    return workload, generated, namespace["floor"], compiled.plan, operations


def measure(nodes: int = 1_000, rounds: int = 10) -> dict:
    """Best seconds per call of each engine over ``rounds`` interleaved rounds."""
    from micrograd.engine import Value

    workload, generated, floor, plan, operations = _functions(nodes)
    inputs = workload.inputs
    engines = {
        "refgrad compiled (generated function)": lambda: generated(*inputs),
        f"floor (same ops, 1 statement each, {FLOOR_LOCALS} locals)": lambda: floor(*inputs),
        "micrograd": lambda: workload.forward_backward(Value),
    }
    calls = {name: max(1, round(0.02 / _one_call(call))) for name, call in engines.items()}
    best = dict.fromkeys(engines, math.inf)
    for _ in range(rounds):
        for name, call in engines.items():
            seconds = min(_repeat(call, calls[name])) / calls[name]
            best[name] = min(best[name], seconds)
    return {
        "nodes": nodes,
        "best": best,
        "slots": plan.slot_count,
        "graph_nodes": plan.node_count,
        "operations": operations,
    }


def _one_call(call) -> float:
    return min(_repeat(call, 1))


def _repeat(call, number: int) -> list[float]:
    # With the cyclic collector on, as programs run (timeit turns it off): micrograd makes a
    # reference cycle per node, and collecting them is part of its cost.
    return timeit.repeat(call, setup="import gc; gc.enable()", number=number, repeat=3)


def markdown(result: dict) -> str:
    best, baseline = result["best"], result["best"]["micrograd"]
    lines = [
        "# The compiled mode against a floor",
        "",
        f"Random DAG (`benchmarks/workloads.py`, seed 0), {result['nodes']:,} nodes; its "
        f"gradient graph has {result['graph_nodes']:,} nodes, {result['operations']:,} of them "
        f"operations an output needs, and the generated function "
        f"{result['slots']:,} slots. Warm calls (back to back, the collector on), best of "
        "interleaved rounds; "
        f"measured {summary.measured_here()}. What the floor is: `benchmarks/floor.py`.",
        "",
        "| engine | us per call | x micrograd |",
        "|---|---|---|",
    ]
    for name, seconds in best.items():
        lines.append(
            f"| {name} | {seconds * 1e6:,.1f} | {seconds / baseline:.4f} "
            f"(1/{baseline / seconds:.0f}) |"
        )
    lines += [
        "",
        "The target is a compiled run at most 1/50 of micrograd's time.",
        "",
        f"Regenerate: `{COMMAND}`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("reports/floor"))
    args = parser.parse_args(argv)
    if args.nodes < 1 or args.rounds < 1:
        parser.error("--nodes and --rounds must be at least 1")
    text = markdown(measure(args.nodes, args.rounds))
    summary.write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
