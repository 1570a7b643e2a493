"""JAX's forward mode and second derivatives in float64, all points at once, without jit.

* JVP: ``jax.jvp`` of the program over arrays holding every point (every op is elementwise,
  so one call pushes every point's tangent);
* Hessian: ``jax.vmap(jax.hessian(f, argnums=every input))`` over the points (``hessian`` is
  forward-over-reverse in JAX, a different route from torch's reverse-over-reverse).

As for the gradients (:mod:`oracle.references.jax_grad`), x64 is on before any array exists
and result dtypes are checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from oracle.higher_outcomes import HessianOutcome, JvpOutcome
from oracle.program import Program
from oracle.references.jax_grad import JAX_CALLS  # importing it enables x64


class JaxHigherOrder:
    name = "jax"

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        columns = tuple(_column(column) for column in zip(*points, strict=True))
        tangents = tuple(
            jnp.full_like(column, float(v)) for column, v in zip(columns, direction, strict=True)
        )
        try:
            value, tangent = jax.jvp(_function(program), columns, tangents)
            _check_dtype(value, tangent)
        except Exception as error:
            return [JvpOutcome.failure(error) for _ in points]
        values = jnp.broadcast_to(value, (len(points),)).tolist()
        tangents = jnp.broadcast_to(tangent, (len(points),)).tolist()
        return [JvpOutcome(values[p], tangents[p]) for p in range(len(points))]

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        n = program.n_inputs
        columns = tuple(_column(column) for column in zip(*points, strict=True))
        every_input = tuple(range(n))
        try:
            rows = jax.vmap(jax.hessian(_function(program), argnums=every_input))(*columns)
            _check_dtype(*(entry for row in rows for entry in row))
        except Exception as error:
            return [HessianOutcome.failure(error, n) for _ in points]
        entries = [[entry.tolist() for entry in row] for row in rows]
        return [
            HessianOutcome(tuple(tuple(entries[i][j][p] for j in range(n)) for i in range(n)))
            for p in range(len(points))
        ]


def _column(numbers):
    return jnp.asarray(numbers, dtype=jnp.float64)


def _function(program: Program):
    def function(*inputs):
        return jnp.asarray(program.run(inputs, JAX_CALLS), dtype=jnp.float64)

    return function


def _check_dtype(*arrays) -> None:
    for array in arrays:
        if array.dtype != jnp.float64:
            raise TypeError(f"jax computed in {array.dtype}, not float64")
