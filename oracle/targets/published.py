"""Published engines as built-in targets, through the function and tensor protocols.

* ``autograd``: HIPS autograd (function protocol): ``autograd.value_and_grad(f,
  argnum=(0, 1, ...))`` over ``autograd.numpy``, with ``make_jvp`` (forward mode) and
  ``hessian`` for the higher-order units (:mod:`oracle.higher_order`); ``relu`` is
  ``np.maximum(x, 0.0)`` and ``sigmoid`` is ``1 / (1 + np.exp(-x))``, as autograd's users
  write them (autograd.numpy has neither). Points are passed as Python floats, as
  ``grad(f)(1.0)`` is usually called; that matters outside the ops' domains, where
  autograd's ``**`` and ``sqrt`` rules then apply Python's ``**`` (see the README's findings).
* ``mygrad``: MyGrad (tensor protocol): ``mygrad.tensor(x)`` leaves (float64), operators,
  ``mygrad.tanh``-style functions, ``mygrad.abs`` (MyGrad's tensors have no ``abs()``), and
  ``relu``/``sigmoid`` from ``mygrad.nnet.activations``.
* ``torch-tensor``: torch's scalar tensors through the generic tensor protocol, a self-check
  of the protocol (the ``torch`` target is the reference itself, batched).

Each library is imported when its target is loaded; a missing one is a
:class:`~oracle.targets.TargetLoadError` naming the pip install.
"""

from __future__ import annotations

import importlib

from oracle.ops import PYTHON_CALLS

EXTRA = "engines"  # the pip extra that installs the published engines


def _require(module: str, target: str, extra: str = EXTRA):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        from oracle.targets import TargetLoadError

        raise TargetLoadError(
            f"the {target} target needs {error.name!r}: pip install 'refgrad[{extra}]'"
        ) from error


def autograd_target():
    from oracle.targets.function_protocol import FunctionProtocolTarget, calls_from_namespace

    autograd = _require("autograd", "autograd")
    numpy = _require("autograd.numpy", "autograd")
    return FunctionProtocolTarget(
        "autograd",
        calls_from_namespace(numpy),
        lambda function, argnums: autograd.value_and_grad(function, argnum=argnums),
        jvp=autograd_jvp,
        hessian=autograd_hessian,
    )


def autograd_jvp(function, argnums):
    """``g(point, direction) -> (value, J v)`` by autograd's forward mode (``make_jvp``, which
    pushes tangents through autograd's JVP rules), over the inputs as one array."""
    autograd = _require("autograd", "autograd")
    import numpy

    over_vector = _over_vector(function, len(argnums))

    def jvp(point, direction):
        return autograd.make_jvp(over_vector)(numpy.array(point))(numpy.array(direction))

    return jvp


def autograd_hessian(function, argnums):
    """``h(*point) -> rows`` by ``autograd.hessian`` over the inputs as one array."""
    autograd = _require("autograd", "autograd")
    import numpy

    hessian = autograd.hessian(_over_vector(function, len(argnums)))
    return lambda *point: hessian(numpy.array(point, dtype=numpy.float64))


def _over_vector(function, n: int):
    """``function`` of ``n`` scalars as a function of one vector (autograd's own shape)."""
    return lambda vector: function(*(vector[i] for i in range(n)))


def mygrad_target():
    import numpy

    from oracle.targets.tensor_protocol import TensorProtocolTarget

    mygrad = _require("mygrad", "mygrad")
    activations = _require("mygrad.nnet.activations", "mygrad")
    calls = {
        **{op: PYTHON_CALLS[op] for op in ("add", "sub", "mul", "div", "pow", "neg")},
        **{op: getattr(mygrad, op) for op in ("tanh", "exp", "log", "sin", "cos", "sqrt")},
        "abs": mygrad.abs,
        "relu": activations.relu,
        "sigmoid": activations.sigmoid,
    }
    return TensorProtocolTarget(
        "mygrad",
        lambda x: mygrad.tensor(x, dtype=numpy.float64),
        calls,
        zero_grad=lambda leaf: leaf.null_grad(),  # MyGrad's .grad cannot be assigned
    )


def torch_tensor_target():
    from oracle.targets.tensor_protocol import TensorProtocolTarget

    torch = _require("torch", "torch-tensor", extra="torch")
    return TensorProtocolTarget(
        "torch-tensor",
        lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
        PYTHON_CALLS,
        # The stateful family goes through one graph twice; torch frees it after one pass.
        backward=lambda output: output.backward(retain_graph=True),
    )


FACTORIES = {
    "autograd": autograd_target,
    "mygrad": mygrad_target,
    "torch-tensor": torch_tensor_target,
}
