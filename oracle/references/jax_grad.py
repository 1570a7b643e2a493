"""JAX in float64: ``vmap(value_and_grad(f))`` over all points, without jit.

``jax.jit`` would compile each random program anew (seconds for a few hundred ops), so the
oracle runs JAX eagerly. x64 is enabled before any array exists, and result dtypes are checked:
JAX silently computes in float32 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (x64 must be on before arrays exist)

from oracle.ops import PYTHON_CALLS  # noqa: E402
from oracle.outcome import Outcome  # noqa: E402
from oracle.program import Program  # noqa: E402

# Operators work on JAX arrays as they do on Values; the named functions come from jax.
JAX_CALLS = {
    **PYTHON_CALLS,
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "exp": jnp.exp,
    "log": jnp.log,
    "sigmoid": jax.nn.sigmoid,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "sqrt": jnp.sqrt,
    "abs": jnp.abs,
}


class JaxReference:
    name = "jax"

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        columns = [jnp.asarray(column, dtype=jnp.float64) for column in zip(*points, strict=True)]

        def function(*inputs):
            return jnp.asarray(program.run(inputs, JAX_CALLS), dtype=jnp.float64)

        every_input = tuple(range(program.n_inputs))
        try:
            values, gradients = jax.vmap(jax.value_and_grad(function, argnums=every_input))(
                *columns
            )
            for array in (values, *gradients):
                if array.dtype != jnp.float64:
                    raise TypeError(f"jax computed in {array.dtype}, not float64")
        except Exception as error:
            return [Outcome.failure(error, program.n_inputs) for _ in points]
        values = values.tolist()
        gradients = [gradient.tolist() for gradient in gradients]
        return [
            Outcome(values[p], tuple(gradient[p] for gradient in gradients))
            for p in range(len(points))
        ]
