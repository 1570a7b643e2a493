"""torch with a custom ``sigmoid`` ``autograd.Function`` whose backward uses the input.

Engine: torch's float64 scalar tensors, checked through the oracle's tensor protocol
(``requires_grad`` leaves, ``.backward()``, ``.grad``), with one planted bug: ``sigmoid`` is a
custom ``torch.autograd.Function``. Its forward saves the input ``x`` for backward, and its
backward computes ``grad * s * (1 - s)`` with ``s`` taken from the saved tensor, which is
``x``, not ``sigmoid(x)``: the slope is ``x * (1 - x)``. The value is right; the gradient is
wrong everywhere except where ``x (1 - x)`` happens to equal the true slope.

Why it is realistic: ``ctx.save_for_backward`` takes whatever tensors the author chooses, and
sigmoid's derivative is usually written in terms of its output; saving the input (as most
other functions do) and forgetting to apply sigmoid again is an easy slip.

Checked as ``oracle check tests/quality/engines/protocols/bug_torch_sigmoid_function.py:target``.
"""

import torch

from oracle.ops import PYTHON_CALLS
from oracle.program import Program, Step
from oracle.targets.tensor_protocol import TensorProtocolTarget

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "sigmoid's backward reads the saved input x as if it were sigmoid(x): slope x (1 - x)."

# WITNESS (sigmoid(x0)) shows the planted bug; CONTROL (tanh(x0 * x1) + exp(x0 - x1) / x1)
# avoids it and is computed correctly. tests/quality/test_protocol_engines.py checks both.
WITNESS = Program(1, (Step("sigmoid", (0,)),))
WITNESS_INPUTS = (0.7,)
CONTROL = Program(
    2,
    (
        Step("mul", (0, 1)),
        Step("tanh", (2,)),
        Step("sub", (0, 1)),
        Step("exp", (4,)),
        Step("div", (5, 1)),
        Step("add", (3, 6)),
    ),
)
CONTROL_INPUTS = (0.8, -1.3)


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors  # planted bug: this is x, not sigmoid(x)
        return grad * s * (1.0 - s)


target = TensorProtocolTarget(
    "torch-with-custom-sigmoid",
    lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
    {**PYTHON_CALLS, "sigmoid": Sigmoid.apply},
)
