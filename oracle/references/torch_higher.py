"""PyTorch's forward mode and second derivatives in float64, all points at once.

* JVP: ``torch.func.jvp`` (torch's forward-mode AD, dual tensors) over 1-D tensors holding
  every point, the direction broadcast to each;
* Hessian: ``torch.autograd.grad`` twice (``create_graph=True``), as
  ``torch.autograd.functional.hessian`` does, on the same batched tensors: points are
  independent, so the gradient of the sum of outputs is every point's gradient, and the
  gradient of the sum of one gradient entry is every point's Hessian row. (``torch.func``'s
  vmapped ``hessian`` gives the same numbers but costs about 400 times more per case here.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oracle.higher_outcomes import HessianOutcome, JvpOutcome
from oracle.program import Program


class TorchHigherOrder:
    name = "torch"

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        columns = tuple(_column(column) for column in zip(*points, strict=True))
        tangents = tuple(
            torch.full_like(column, float(v)) for column, v in zip(columns, direction, strict=True)
        )
        try:
            value, tangent = torch.func.jvp(lambda *inputs: program.run(inputs), columns, tangents)
            _check_dtype(value, tangent)
        except Exception as error:
            return [JvpOutcome.failure(error) for _ in points]
        values = torch.broadcast_to(value, (len(points),)).tolist()
        tangents = torch.broadcast_to(tangent, (len(points),)).tolist()
        return [JvpOutcome(values[p], tangents[p]) for p in range(len(points))]

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        n = program.n_inputs
        leaves = [_column(column).requires_grad_() for column in zip(*points, strict=True)]
        try:
            output = program.run(leaves)
            _check_dtype(output)
            gradient = _gradient(output, leaves, create_graph=True)
            rows = [_gradient(entry, leaves, create_graph=False) for entry in gradient]
        except Exception as error:
            return [HessianOutcome.failure(error, n) for _ in points]
        entries = [[torch.broadcast_to(x, (len(points),)).tolist() for x in row] for row in rows]
        return [
            HessianOutcome(tuple(tuple(entries[i][j][p] for j in range(n)) for i in range(n)))
            for p in range(len(points))
        ]


def _column(numbers) -> torch.Tensor:
    return torch.tensor(numbers, dtype=torch.float64)


def _gradient(output: torch.Tensor, leaves, create_graph: bool) -> list[torch.Tensor]:
    """d sum(output) / d leaf for every leaf; zeros where output does not depend on it."""
    if not output.requires_grad:  # a constant (a gradient entry of a linear program)
        return [torch.zeros_like(leaf) for leaf in leaves]
    found = torch.autograd.grad(
        output.sum(), leaves, create_graph=create_graph, retain_graph=True, allow_unused=True
    )
    # None: no dependence; a "zero tensor" (torch's lazy zeros, such as abs's second
    # derivative) has no storage to read: both are zeros.
    return [
        torch.zeros_like(leaf) if g is None or g._is_zerotensor() else g
        for g, leaf in zip(found, leaves, strict=True)
    ]


def _check_dtype(*tensors: torch.Tensor) -> None:
    for tensor in tensors:
        if tensor.dtype != torch.float64:
            raise TypeError(f"torch computed in {tensor.dtype}, not float64")
