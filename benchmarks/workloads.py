"""Seeded workloads that every benchmark runs on every engine.

A workload is engine-agnostic Python source: a straight-line function of its inputs that uses
only what published micrograd supports (``+``, ``*``, ``** number``, ``relu()``). Compiling the
DAG to straight-line code (instead of interpreting a step list) keeps dispatch overhead out of
the measurement, so the time measured is the engine's own.

The random DAG has fan-out (an operand is drawn as an offset back from the newest value, so
recent values are reused many times) and self-operands (``x * x`` when both offsets agree).
Every value stays in [-1, 1] by construction, so no engine ever meets an overflow: an addition
is always followed by a halving, products and powers of numbers in [-1, 1] stay there, and
only the final fold of unused values (the sinks) into one output adds up a few of them.

Three more shapes stress what the random DAG mixes (``WORKLOADS`` names all four):

* ``deep_chain``: every op reads the newest value, so the graph is as deep as it is long
  (recursion, and the order a backward pass visits nodes in);
* ``wide_sum``: many small terms of the inputs, added in a balanced tree: shallow, wide, and
  every input feeds thousands of terms (gradient accumulation at the leaves);
* ``mlp``: a micrograd-style multi-layer perceptron (``micrograd.nn.MLP``: neurons
  ``sum(w*x, b).relu()``) on one fixed sample, with a squared-error loss; its inputs are the
  weights and biases, so the gradient is what a training step needs.

``random_dag`` is frozen: committed reports were measured on its exact programs.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# (name, probability). An "add" step emits two nodes: the sum, then its halving.
_STEP_KINDS = (("add", 0.30), ("mul", 0.30), ("relu", 0.20), ("pow", 0.20))
_MEAN_OFFSET = 6.0  # how far back operands are drawn, on average: small means much fan-out


@dataclass
class Workload:
    """A seeded program: Python source for ``forward(x0, x1, ...)`` plus its input point."""

    name: str
    n_nodes: int
    inputs: tuple[float, ...]
    source: str
    _function: object = field(default=None, repr=False)

    @property
    def forward(self):
        """The compiled function: engine Values in, the output Value out."""
        if self._function is None:
            namespace: dict[str, object] = {}
            exec(compile(self.source, f"<workload {self.name}>", "exec"), namespace)
            self._function = namespace["forward"]
        return self._function

    def forward_backward(self, value_class) -> list:
        """Build the graph with ``value_class``, backpropagate, return the input Values."""
        leaves = [value_class(x) for x in self.inputs]
        self.forward(*leaves).backward()
        return leaves

    def forward_with_relu(self, relu: Callable) -> Callable:
        """``forward`` with ``v.relu()`` written ``relu(v)``: for array libraries (JAX) whose
        values have no ``relu`` method. Every workload applies relu to a plain name."""
        source = _RELU_CALL.sub(r"relu(\1)", self.source)
        namespace: dict[str, object] = {"relu": relu}
        exec(compile(source, f"<workload {self.name}, relu()>", "exec"), namespace)
        return namespace["forward"]

    def batch(self, points: int, seed: int = 0) -> list:
        """NumPy arrays of ``points`` input points, one array per input, for the batched mode.

        Point 0 is the workload's own point (so its gradient can be checked against the other
        engines); the others scale each input by a factor in [0.5, 1.5], which keeps every
        input's sign and magnitude, and so keeps values in the range the workload was made for.
        """
        import numpy as np

        generator = np.random.default_rng(seed)
        arrays = []
        for x in self.inputs:
            array = x * generator.uniform(0.5, 1.5, points)
            array[0] = x
            arrays.append(array)
        return arrays


_RELU_CALL = re.compile(r"\b(v\d+)\.relu\(\)")


def random_dag(n_nodes: int, seed: int = 0, n_inputs: int = 8) -> Workload:
    """A random DAG of exactly ``n_nodes`` op nodes over ``n_inputs`` inputs in [-1, 1]."""
    if n_nodes < n_inputs:
        raise ValueError(f"n_nodes={n_nodes} must be at least n_inputs={n_inputs}")
    rng = random.Random(seed)
    lines: list[str] = []
    unused: dict[int, None] = dict.fromkeys(range(n_inputs))  # insertion-ordered set
    count = n_inputs  # values so far; value i is named v{i}

    def emit(expression: str, operands: tuple[int, ...]) -> None:
        nonlocal count
        lines.append(f"    v{count} = {expression}")
        for operand in operands:
            unused.pop(operand, None)
        unused[count] = None
        count += 1

    def recent() -> int:
        offset = int(rng.expovariate(1.0 / _MEAN_OFFSET))
        return max(0, count - 1 - offset)

    def first_operand() -> int:
        # Prefer a value nobody uses yet, so that few values end up outside the output's cone.
        return next(iter(unused)) if unused and rng.random() < 0.5 else recent()

    while len(lines) < n_nodes:
        budget = n_nodes - len(lines)
        if len(unused) - 1 >= budget or budget == 1:
            # Fold the sinks into one output; these sums are the only unhalved additions.
            a, b = list(unused)[:2] if len(unused) >= 2 else (count - 1, count - 1)
            emit(f"v{a} + v{b}", (a, b))
            continue
        kind = rng.choices([k for k, _ in _STEP_KINDS], [p for _, p in _STEP_KINDS])[0]
        a = first_operand()
        if kind == "add" and budget >= 2:
            b = recent()
            emit(f"v{a} + v{b}", (a, b))
            emit(f"v{count - 1} * 0.5", (count - 1,))
        elif kind == "mul":
            b = recent()
            emit(f"v{a} * v{b}", (a, b))
        elif kind == "pow":
            emit(f"v{a} ** {rng.choice((2, 3))}", (a,))
        else:
            emit(f"v{a}.relu()", (a,))

    arguments = ", ".join(f"v{i}" for i in range(n_inputs))
    source = f"def forward({arguments}):\n" + "\n".join(lines) + f"\n    return v{count - 1}\n"
    inputs = tuple(rng.uniform(-1.0, 1.0) for _ in range(n_inputs))
    return Workload(f"random_dag(n={n_nodes}, seed={seed})", n_nodes, inputs, source)


class _Program:
    """Straight-line source under construction: inputs are v0..v{n_inputs-1}, then one new
    name per op, in order."""

    def __init__(self, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.lines: list[str] = []

    @property
    def ops(self) -> int:
        return len(self.lines)

    def emit(self, expression: str) -> str:
        """Append ``v<next> = expression``; return the new value's name."""
        name = f"v{self.n_inputs + len(self.lines)}"
        self.lines.append(f"    {name} = {expression}")
        return name

    def workload(self, name: str, inputs: tuple[float, ...], output: str) -> Workload:
        arguments = ", ".join(f"v{i}" for i in range(self.n_inputs))
        body = "\n".join(self.lines)
        source = f"def forward({arguments}):\n{body}\n    return {output}\n"
        return Workload(name, self.ops, inputs, source)


def _check_size(n_nodes: int, smallest: int) -> None:
    if not isinstance(n_nodes, int) or n_nodes < smallest:
        raise ValueError(f"n_nodes={n_nodes!r} must be an int of at least {smallest}")


_CHAIN_STEPS = (("add", 0.40), ("mul", 0.30), ("pow", 0.20), ("relu", 0.10))


def deep_chain(n_nodes: int, seed: int = 0, n_inputs: int = 8) -> Workload:
    """A chain of exactly ``n_nodes`` ops, each reading the newest value: depth ``n_nodes``.

    Steps add an input and halve, multiply by an input, raise to the power 2 or 3, or apply
    relu; as in ``random_dag``, every value stays in [-1, 1].
    """
    _check_size(n_nodes, 1)
    rng = random.Random(seed)
    program = _Program(n_inputs)
    newest = "v0"
    while program.ops < n_nodes:
        kind = rng.choices([k for k, _ in _CHAIN_STEPS], [p for _, p in _CHAIN_STEPS])[0]
        other = f"v{rng.randrange(n_inputs)}"
        if kind == "add" and n_nodes - program.ops >= 2:
            newest = program.emit(f"{program.emit(f'{newest} + {other}')} * 0.5")
        elif kind in ("add", "mul"):  # (an add that would overshoot the size multiplies)
            newest = program.emit(f"{newest} * {other}")
        elif kind == "pow":
            newest = program.emit(f"{newest} ** {rng.choice((2, 3))}")
        else:
            newest = program.emit(f"{newest}.relu()")
    inputs = tuple(rng.uniform(-1.0, 1.0) for _ in range(n_inputs))
    return program.workload(f"deep_chain(n={n_nodes}, seed={seed})", inputs, newest)


def wide_sum(n_nodes: int, seed: int = 0, n_inputs: int = 8) -> Workload:
    """Exactly ``n_nodes`` ops: terms ``c * g(inputs)`` added pairwise, a tree of depth about
    log2(n_nodes).

    A term is a product of two inputs, a square or a relu of one, times its own coefficient
    in [-1, 1] (distinct coefficients keep common-subexpression elimination from merging
    terms). With T terms that is 2T ops, plus T - 1 additions; one or two halvings of the
    sum make up the exact count.
    """
    _check_size(n_nodes, 2)
    rng = random.Random(seed)
    program = _Program(n_inputs)
    n_terms, halvings = divmod(n_nodes + 1, 3)
    level = []
    for _ in range(n_terms):
        a, b = (f"v{rng.randrange(n_inputs)}" for _ in range(2))
        shape = rng.choice((f"{a} * {b}", f"{a} ** 2", f"{a}.relu()"))
        level.append(program.emit(f"{program.emit(shape)} * {rng.uniform(-1.0, 1.0)!r}"))
    while len(level) > 1:
        pairs = [program.emit(f"{a} + {b}") for a, b in zip(level[::2], level[1::2], strict=False)]
        level = pairs + level[len(pairs) * 2 :]  # an odd one out waits for the next level
    total = level[0]
    for _ in range(halvings):
        total = program.emit(f"{total} * 0.5")
    inputs = tuple(rng.uniform(-1.0, 1.0) for _ in range(n_inputs))
    return program.workload(f"wide_sum(n={n_nodes}, seed={seed})", inputs, total)


def mlp_shape(n_nodes: int) -> tuple[int, int]:
    """(features, width) of the two-hidden-layer MLP whose op count is nearest ``n_nodes``.

    Ops: a neuron with ``k`` inputs is ``k`` products, ``k`` additions (from the bias, as in
    micrograd's ``sum(..., b)``) and a relu; the output neuron has no relu, and the loss is
    two more ops. So ``features`` inputs and ``width``-neuron layers cost
    ``2*width*features + 2*width**2 + 4*width + 2`` ops. The width is about sqrt(n_nodes / 4)
    (both hidden layers then hold about half the ops); the number of features takes up the
    rest, to within ``width`` ops.
    """
    _check_size(n_nodes, 10)
    width = max(1, math.isqrt(n_nodes // 4))
    fixed = 2 * width * width + 4 * width + 2
    features = max(1, round((n_nodes - fixed) / (2 * width)))
    return features, width


def mlp(n_nodes: int, seed: int = 0) -> Workload:
    """micrograd's ``MLP(features, [width, width, 1])`` and a squared-error loss on one sample,
    as straight-line code of about ``n_nodes`` ops (``Workload.n_nodes`` is the exact count).

    The inputs are the parameters, neuron by neuron (weights, then bias), initialised as
    uniform(-1, 1) / sqrt(fan-in) so that activations keep their scale; the sample and its
    target are constants in the code.
    """
    features, width = mlp_shape(n_nodes)
    rng = random.Random(seed)
    layers = list(zip((features, width, width), (width, width, 1), strict=True))
    n_parameters = sum(fan_in * fan_out + fan_out for fan_in, fan_out in layers)
    program = _Program(n_parameters)
    parameters: list[float] = []

    def parameter(value: float) -> str:
        parameters.append(value)
        return f"v{len(parameters) - 1}"

    activations = [repr(rng.uniform(-1.0, 1.0)) for _ in range(features)]
    target = rng.uniform(-1.0, 1.0)
    for index, (fan_in, fan_out) in enumerate(layers):
        scale = 1.0 / math.sqrt(fan_in)
        outputs = []
        for _ in range(fan_out):
            weights = [parameter(rng.uniform(-scale, scale)) for _ in range(fan_in)]
            total = parameter(rng.uniform(-scale, scale))  # the bias starts the sum
            for weight, activation in zip(weights, activations, strict=True):
                total = program.emit(f"{total} + {program.emit(f'{weight} * {activation}')}")
            last_layer = index == len(layers) - 1
            outputs.append(total if last_layer else program.emit(f"{total}.relu()"))
        activations = outputs
    loss = program.emit(f"{program.emit(f'{activations[0]} + {-target!r}')} ** 2")
    name = f"mlp(n={n_nodes}, seed={seed}: {features}-{width}-{width}-1)"
    return program.workload(name, tuple(parameters), loss)


WORKLOADS: dict[str, Callable[[int], Workload]] = {
    "random_dag": random_dag,
    "deep_chain": deep_chain,
    "wide_sum": wide_sum,
    "mlp": mlp,
}
"""Every workload the suite runs: name -> ``generator(n_nodes, seed=0)``."""
