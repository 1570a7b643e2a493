"""torch with a custom ``tanh`` ``autograd.Function`` whose backward detaches the saved output:
first derivatives are right, second derivatives are not.

Engine: torch's float64 scalar tensors, checked through the oracle's function protocol
(``torch.autograd.grad`` for gradients, ``torch.autograd.functional.hessian`` for Hessians),
with one planted bug: ``tanh`` is a custom ``torch.autograd.Function`` whose backward computes
``grad * (1 - t * t)`` with ``t = out.detach()``. The number is the right slope, so values and
gradients are exact. But differentiating the backward again (as a Hessian does, with
``create_graph=True``) sees ``t`` as a constant: the term ``-2 t t'`` of ``tanh''`` is lost,
and ``d2/dx2 tanh(x)`` comes out as 0 instead of ``-2 tanh(x) (1 - tanh(x)**2)``. Torch
raises nothing: a backward made of differentiable ops is taken to be twice differentiable.

Why it is realistic: ``.detach()`` in a custom backward looks like a harmless way to save
memory or silence a warning, and every first-order test (gradcheck included) still passes;
only ``gradgradcheck`` or a Hessian shows it.

The adapter gives no forward mode (a custom Function needs a ``jvp`` of its own for
``torch.func.jvp``), so the ``jvp`` unit is not applicable to it, with that reason.

Checked as ``oracle check tests/quality/engines/higher_order/bug_torch_tanh_detached.py:target
--order 2``.
"""

import torch

from oracle.ops import PYTHON_CALLS
from oracle.program import Program, Step
from oracle.targets.function_protocol import FunctionProtocolTarget

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "tanh's backward uses out.detach(), so its second derivative loses the -2 t t' term."
FAILS = ("hessian",)

# WITNESS (tanh(x0)) shows the planted bug in the Hessian only.
WITNESS = Program(1, (Step("tanh", (0,)),))
WITNESS_INPUTS = (0.7,)


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = torch.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        t = out.detach()  # planted bug: the slope is right, its derivative is lost
        return grad * (1.0 - t * t)


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def value_and_grad(function, argnums):
    def run(*point):
        leaves = [leaf(float(x)) for x in point]
        out = function(*leaves)
        partials = torch.autograd.grad(out, leaves, allow_unused=True, materialize_grads=True)
        return out.item(), [p.item() for p in partials]

    return run


def hessian(function, argnums):
    def run(*point):
        inputs = tuple(torch.tensor(float(x), dtype=torch.float64) for x in point)
        rows = torch.autograd.functional.hessian(function, inputs)
        return [[entry.item() for entry in row] for row in rows]

    return run


target = FunctionProtocolTarget(
    "torch-with-detached-tanh",
    {**PYTHON_CALLS, "tanh": Tanh.apply},
    value_and_grad,
    hessian=hessian,
)
