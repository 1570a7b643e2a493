"""The function protocol: engines that differentiate a function (HIPS autograd, JAX...).

Such an engine never exposes a graph: it is given a Python function and returns one computing
the value and the partials. An adapter describes it with two things:

* ``calls``: op name -> function applying the op to the engine's values (the values the
  function sees while the engine traces it), as ``{"add": operator.add, "tanh": anp.tanh}``;
  constants arrive as Python floats in their position (``calls["sub"](2.0, v)``).
  :func:`calls_from_namespace` builds it from a NumPy-like module;
* ``value_and_grad``: the gradient transform, ``value_and_grad(f, argnums) -> g`` with
  ``g(*point) -> (value, partials)``, one partial per entry of ``argnums`` (``autograd``'s
  ``value_and_grad(f, argnum=argnums)``, ``jax.value_and_grad(f, argnums=argnums)``).

:class:`FunctionProtocolTarget` runs a program as ``f = lambda *x: program.run(x, calls)``,
differentiated with respect to every input, one point at a time. Everything the engine does
wrong becomes a failed outcome, never an exception out of :meth:`~FunctionProtocolTarget.evaluate`:
a crash, a result that is not a ``(value, partials)`` pair, the wrong number of partials, and
any value or partial that is not a real float64 scalar (float32, a complex number, an array of
another shape, None; see :func:`oracle.targets.common.as_float64`).

Each op is probed once (:mod:`oracle.targets.common`): an op is unsupported when the engine
cannot run it *inside the function*, where it sees the engine's traced values; a failure after
the function returned (a missing derivative rule, a wrong result type) is a finding, not a
missing capability.

A user plugs an engine in with a file exposing an instance, checked as
``oracle check my_adapter.py:target``::

    import jax

    from oracle.targets.function_protocol import FunctionProtocolTarget, calls_from_namespace

    jax.config.update("jax_enable_x64", True)
    target = FunctionProtocolTarget(
        "jax-per-point",
        calls_from_namespace(jax.numpy),
        lambda f, argnums: jax.value_and_grad(f, argnums=argnums),
    )
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

from oracle.ops import PYTHON_CALLS, UNARY_OPS
from oracle.outcome import Outcome
from oracle.program import Program
from oracle.targets import common
from oracle.targets.common import ProtocolError, as_float64
from oracle.targets.differentiators import FunctionDifferentiator, HessianTransform, JvpTransform

# value_and_grad(f, argnums) -> g, with g(*point) -> (value, partials)
GradientTransform = Callable[[Callable, tuple[int, ...]], Callable]

# Ops every engine spells with Python operators: + - * / ** and unary minus.
OPERATOR_OPS = ("add", "sub", "mul", "div", "pow", "neg")
# Ops a NumPy-like module has as functions of the same name (``abs`` may be ``absolute``).
NAMED_OPS = tuple(op for op in UNARY_OPS if op not in OPERATOR_OPS)


def calls_from_namespace(namespace, **overrides: Callable) -> dict[str, Callable]:
    """Calls for an engine whose values work with Python operators and a NumPy-like module.

    ``+ - * / **`` and unary minus are Python's operators; ``tanh exp log sin cos sqrt abs``
    are the namespace's functions of the same name. ``relu`` and ``sigmoid`` are the
    namespace's if it has them, else written as a user of the namespace would write them:
    ``relu(x) = maximum(x, 0.0)`` (the slope at 0 is then the engine's choice for ``maximum``
    at a tie: 0.5 in autograd and JAX, where torch's relu says 0) and
    ``sigmoid(x) = 1 / (1 + exp(-x))`` (accurate wherever it is finite; its slope is nan at
    ``x = -inf``, where ``exp(-x)`` is inf). Ops the namespace lacks are left out, so the
    target lists them as unsupported. ``overrides`` replace or add calls by op name.
    """
    calls = {op: PYTHON_CALLS[op] for op in OPERATOR_OPS}
    for op in NAMED_OPS:
        function = getattr(namespace, op, None)
        if function is None and op == "abs":
            function = getattr(namespace, "absolute", None)
        if function is not None:
            calls[op] = function
    if "relu" not in calls and hasattr(namespace, "maximum"):
        maximum = namespace.maximum
        calls["relu"] = lambda x: maximum(x, 0.0)
    if "sigmoid" not in calls and hasattr(namespace, "exp"):
        exp = namespace.exp
        calls["sigmoid"] = lambda x: 1.0 / (1.0 + exp(-x))
    calls.update(overrides)
    return calls


class FunctionProtocolTarget:
    """A target for an engine that differentiates functions (see the module docstring).

    ``leaf`` turns each coordinate of a point (a Python float) into the engine's input (such
    as ``numpy.float64`` or ``jax.numpy.float64``); by default the float is passed as is.

    ``jvp`` and ``hessian``, optional, let the oracle check the engine's forward mode and
    second derivatives (``oracle check --modes fwd --order 2``, :mod:`oracle.higher_order`):
    ``jvp(f, argnums) -> g`` with ``g(point, direction) -> (value, directional derivative)``
    computed in forward mode, and ``hessian(f, argnums) -> h`` with ``h(*point) -> rows``.
    """

    def __init__(
        self,
        name: str,
        calls: Mapping[str, Callable],
        value_and_grad: GradientTransform,
        leaf: Callable[[float], object] = float,
        jvp: JvpTransform | None = None,
        hessian: HessianTransform | None = None,
    ):
        self.name = name
        self.calls = common.check_calls(calls, name)
        self.value_and_grad = value_and_grad
        self.leaf = leaf
        self.higher_order = FunctionDifferentiator(self.calls, jvp, hessian, leaf)
        self.unsupported_ops = common.probe(self._attempt, self.calls, common.call_text)
        self.supported_ops = common.supported(self.unsupported_ops)
        common.require_arithmetic(name, self.unsupported_ops)

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        with warnings.catch_warnings():
            # NumPy warns at edge points (overflow, division by zero); the results are judged.
            warnings.simplefilter("ignore")
            try:
                function = self._transform(program)
            except Exception as error:
                return [Outcome.failure(error, program.n_inputs) for _ in points]
            return [self._evaluate_point(function, program, point) for point in points]

    def _transform(self, program: Program):
        calls = self.calls
        every_input = tuple(range(program.n_inputs))
        return self.value_and_grad(lambda *inputs: program.run(inputs, calls), every_input)

    def _evaluate_point(self, function, program: Program, point) -> Outcome:
        try:
            result = function(*(self.leaf(float(x)) for x in point))
            value, gradient = read_result(result, program.n_inputs)
        except Exception as error:
            return Outcome.failure(error, program.n_inputs)
        return Outcome(value, gradient)

    def _attempt(self, program: Program, point) -> str | None:
        """Probe: raise if the function cannot run the op on the engine's values."""
        forward: list[BaseException | None] = []

        def watched(*inputs):
            try:
                output = program.run(inputs, self.calls)
            except BaseException as error:
                forward.append(error)
                raise
            forward.append(None)
            return output

        every_input = tuple(range(program.n_inputs))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.value_and_grad(watched, every_input)(*(self.leaf(x) for x in point))
        except Exception as error:
            if not forward:
                message = f"the gradient transform failed before running f: {error!r}"
                raise RuntimeError(message) from error
            if forward[0] is not None:
                raise forward[0] from None
        return None  # the forward pass ran; whatever failed after it is a finding


def read_result(result, n_inputs: int) -> tuple[float, tuple[float, ...]]:
    """The value and the partials of ``g(*point)``, checked (ProtocolError otherwise)."""
    try:
        value, partials = result
    except (TypeError, ValueError):
        raise ProtocolError(
            f"the gradient function returned a {type(result).__name__}, "
            "not a (value, partials) pair"
        ) from None
    try:
        partials = tuple(partials)
    except TypeError:
        raise ProtocolError(
            f"the partials are a {type(partials).__name__}, not a sequence with one per input"
        ) from None
    if len(partials) != n_inputs:
        raise ProtocolError(f"{len(partials)} partials for {n_inputs} inputs")
    gradient = tuple(as_float64(p, f"d/dx{i}") for i, p in enumerate(partials))
    return as_float64(value, "the value"), gradient
