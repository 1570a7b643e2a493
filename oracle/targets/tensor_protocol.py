"""The tensor protocol: torch-like engines (``requires_grad``, ``.backward()``, ``.grad``).

An adapter describes such an engine with two things:

* ``leaf``: a function making a leaf from a Python float: a 0-d float64 tensor that requires
  grad, as ``lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)``;
* ``calls``: op name -> function applying the op to tensors (constants arrive as Python floats
  in their position). By default, Python operators and methods as the printed program spells
  them (``x0 * 2.0``, ``v.tanh()``, ``abs(v)``), which is what torch has.

:class:`TensorProtocolTarget` evaluates a program one point at a time: leaves from the point,
the program through ``calls``, ``.backward()`` on the output, then the output and each leaf's
``.grad`` are read as floats (:func:`oracle.targets.common.as_float64`: a 0-d float64 tensor or
array, a NumPy float64 or a Python float). A crash, a non-scalar or non-float64 result and a
``.grad`` left None are failed outcomes with a ProtocolError saying what was wrong; nothing
raises out of :meth:`~TensorProtocolTarget.evaluate`. The one exception to "None is an error"
is torch's documented convention: a leaf the output does not depend on keeps ``.grad is None``,
and its partial is 0.

Each op is probed once (:mod:`oracle.targets.common`): it is unsupported when the forward
pass cannot run it or returns something without ``.backward()``; a failure in the backward pass
is a finding, not a missing capability.

The stateful family (:mod:`oracle.stateful`) drives the same engine through several backward
passes on one graph, through the target's ``stateful`` attribute (a :class:`TensorDriver`). Two
optional arguments say how, where an engine needs it: ``backward(output)`` (default
``output.backward()``; torch frees a graph after one pass unless told
``output.backward(retain_graph=True)``) and ``zero_grad(leaf)`` (default ``leaf.grad = None``,
torch's idiom; MyGrad's ``.grad`` cannot be assigned, its tensors have ``null_grad()``).

A user plugs an engine in with a file exposing an instance, checked as
``oracle check my_adapter.py:target``::

    import torch

    from oracle.targets.tensor_protocol import TensorProtocolTarget

    target = TensorProtocolTarget(
        "my-torch", lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)
    )
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

from oracle.ops import PYTHON_CALLS
from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets import common
from oracle.targets.common import ProtocolError, as_float64


class TensorProtocolTarget:
    """A target for a torch-like tensor engine (see the module docstring)."""

    def __init__(
        self,
        name: str,
        leaf: Callable[[float], object],
        calls: Mapping[str, Callable] = PYTHON_CALLS,
        backward: Callable[[object], None] | None = None,
        zero_grad: Callable[[object], None] | None = None,
    ):
        self.name = name
        self.leaf = leaf
        self.calls = common.check_calls(calls, name)
        self.unsupported_ops = common.probe(self._attempt, self.calls, common.call_text)
        self.supported_ops = common.supported(self.unsupported_ops)
        common.require_arithmetic(name, self.unsupported_ops)
        self.stateful = TensorDriver(
            leaf, self.calls, backward or _backward, zero_grad or _set_grad_to_none
        )

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        reaching = program.inputs_reaching_output()
        with warnings.catch_warnings():
            # NumPy-based engines warn at edge points (overflow...); the results are judged.
            warnings.simplefilter("ignore")
            return [self._evaluate_point(program, point, reaching) for point in points]

    def _evaluate_point(self, program: Program, point, reaching: set[int]) -> Outcome:
        try:
            leaves = [self.leaf(float(x)) for x in point]
            output = program.run(leaves, self.calls)
            value = as_float64(output, "the output")
            output.backward()
            gradient = tuple(_partial(leaf, i, i in reaching) for i, leaf in enumerate(leaves))
        except Exception as error:
            return Outcome.failure(error, program.n_inputs)
        return Outcome(value, gradient)

    def _attempt(self, program: Program, point) -> str | None:
        """Probe: raise if the forward pass cannot run the op; say why its result is unusable."""
        output = program.run([self.leaf(x) for x in point], self.calls)
        if not hasattr(output, "backward"):
            return f"returns a {type(output).__name__}, not a tensor with .backward()"
        return None


def _partial(leaf, index: int, reaches_output: bool) -> float:
    if not hasattr(leaf, "grad"):
        raise ProtocolError(f"x{index} has no .grad attribute")
    grad = leaf.grad
    if grad is None and not reaches_output:
        return 0.0  # torch's convention: no gradient flows to an unused leaf
    return as_float64(grad, f"x{index}.grad")


class TensorDriver:
    """How the stateful family drives a tensor-protocol engine (see :mod:`oracle.stateful`).

    A ``.grad`` of None reads as 0.0: torch's "no gradient yet", as right after
    ``leaf.grad = None``. Torch-like engines keep no gradient on interior tensors (torch only
    for those that ``retain_grad()``), so only leaves are compared (``keeps_interior``).
    """

    keeps_interior = False

    def __init__(
        self,
        leaf: Callable[[float], object],
        calls: Mapping[str, Callable],
        backward: Callable[[object], None],
        zero_grad: Callable[[object], None],
    ):
        self._leaf = leaf
        self.calls = calls
        self._backward = backward
        self._zero_grad = zero_grad

    def leaf(self, x: float):
        return self._leaf(float(x))

    def run(self, program: Program, leaves: Sequence) -> list:
        return program.evaluate(leaves, self.calls)

    def backward(self, output) -> None:
        self._backward(output)

    def zero_grad(self, leaf) -> None:
        self._zero_grad(leaf)

    def grad(self, node, what: str) -> float:
        if not hasattr(node, "grad"):
            raise ProtocolError(f"{what}: the tensor has no .grad attribute")
        return 0.0 if node.grad is None else as_float64(node.grad, what)

    def data(self, node, what: str) -> float:
        return as_float64(node, what)


def _backward(output) -> None:
    output.backward()


def _set_grad_to_none(leaf) -> None:
    leaf.grad = None
