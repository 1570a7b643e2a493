"""HIPS autograd with a custom ``sin`` whose VJP maker takes its arguments in the wrong order.

Engine: published autograd (``autograd.value_and_grad`` over ``autograd.numpy``), checked
through the oracle's function protocol, with one planted bug: ``sin`` is a custom
``@primitive`` whose derivative rule is registered with ``defvjp``. Autograd calls a VJP maker
as ``maker(ans, x)`` (the output first, then the inputs); this one is written as
``lambda x, ans: ...``, so the name ``x`` is bound to the output and the slope is
``cos(sin(x))`` instead of ``cos(x)``. The forward value is right; the gradient is wrong at
almost every point, silently.

Why it is realistic: the argument order of ``defvjp`` makers is a convention to remember, the
two names are both plain arrays, and at small ``x`` (where ``sin(x)`` is close to ``x``) the
wrong slope is nearly right, so a quick check at ``x = 0.1`` passes.

Checked as ``oracle check tests/quality/engines/protocols/bug_autograd_sin_vjp.py:target``.
"""

import autograd
import autograd.numpy as anp
from autograd.extend import defvjp, primitive

from oracle.program import Program, Step
from oracle.targets.function_protocol import FunctionProtocolTarget, calls_from_namespace

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "sin's VJP maker takes (x, ans) where autograd passes (ans, x): the slope is cos(sin(x))."

# WITNESS (sin(x0)) shows the planted bug; CONTROL (cos(x0 * x1) + tanh(x0 / x1)) avoids it
# and is computed correctly. tests/quality/test_protocol_engines.py checks both against torch.
WITNESS = Program(1, (Step("sin", (0,)),))
WITNESS_INPUTS = (1.2,)
CONTROL = Program(
    2,
    (
        Step("mul", (0, 1)),
        Step("cos", (2,)),
        Step("div", (0, 1)),
        Step("tanh", (4,)),
        Step("add", (3, 5)),
    ),
)
CONTROL_INPUTS = (0.8, -1.3)


@primitive
def sin(x):
    return anp.sin(x)


# Planted bug: autograd calls the maker as maker(ans, x), so "x" here is sin(x).
defvjp(sin, lambda x, ans: lambda g: g * anp.cos(x))

target = FunctionProtocolTarget(
    "autograd-with-custom-sin",
    calls_from_namespace(anp, sin=sin),
    lambda function, argnums: autograd.value_and_grad(function, argnum=argnums),
)
