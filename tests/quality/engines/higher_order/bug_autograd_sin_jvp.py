"""HIPS autograd with a custom ``sin`` whose forward-mode (JVP) rule takes its arguments in the
wrong order; its reverse-mode (VJP) rule is right.

Engine: published autograd over ``autograd.numpy``, checked through the oracle's function
protocol with forward mode (``autograd.make_jvp``) and Hessians (``autograd.hessian``), with
one planted bug: ``sin`` is a custom ``@primitive`` with both rules registered. Autograd calls
a JVP maker as ``maker(g, ans, x)`` (the tangent, the output, then the inputs); this one is
written as ``lambda g, x, ans: ...``, so the name ``x`` is bound to the output and the tangent
is ``g cos(sin(x))`` instead of ``g cos(x)``. Values and gradients (reverse mode) are right,
and so are Hessians (autograd takes them in reverse mode); only forward mode is wrong.

Why it is realistic: JVP and VJP makers take their arguments in different orders in autograd
(``defvjp``: ``(ans, x)``; ``defjvp``: ``(g, ans, x)``), and a rule checked only through
``grad`` never runs its forward-mode half. The oracle catches it twice over: against
``torch.func.jvp``/``jax.jvp``/the ground truth, and against the engine's own reverse mode
(``<v, J^T u> = <J v, u>``).

Checked as ``oracle check tests/quality/engines/higher_order/bug_autograd_sin_jvp.py:target
--modes fwd,rev``.
"""

import autograd
import autograd.numpy as anp
from autograd.extend import defjvp, defvjp, primitive

from oracle.program import Program, Step
from oracle.targets.function_protocol import FunctionProtocolTarget, calls_from_namespace
from oracle.targets.published import autograd_hessian, autograd_jvp

EXPECTED = "bug"
KIND = "wrong-derivative"
BUG = "sin's JVP maker takes (g, x, ans) where autograd passes (g, ans, x): J v is cos(sin(x)) v."
FAILS = ("jvp",)  # the higher-order units that find it

# WITNESS (sin(x0), along v = 1) shows the planted bug in forward mode only.
WITNESS = Program(1, (Step("sin", (0,)),))
WITNESS_INPUTS = (1.2,)


@primitive
def sin(x):
    return anp.sin(x)


defvjp(sin, lambda ans, x: lambda g: g * anp.cos(x))  # right: autograd passes (ans, x)
defjvp(sin, lambda g, x, ans: g * anp.cos(x))  # planted bug: autograd passes (g, ans, x)

target = FunctionProtocolTarget(
    "autograd-with-custom-sin-jvp",
    calls_from_namespace(anp, sin=sin),
    lambda function, argnums: autograd.value_and_grad(function, argnum=argnums),
    jvp=autograd_jvp,
    hessian=autograd_hessian,
)
