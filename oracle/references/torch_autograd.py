"""PyTorch autograd in float64, all points at once as 1-D tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oracle.outcome import Outcome
from oracle.program import Program


class TorchReference:
    name = "torch"

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]:
        columns = list(zip(*points, strict=True))
        leaves = [
            torch.tensor(column, dtype=torch.float64, requires_grad=True) for column in columns
        ]
        try:
            output = program.run(leaves)
            if output.dtype != torch.float64:
                raise TypeError(f"torch computed in {output.dtype}, not float64")
            if output.requires_grad:
                # Points are independent, so the gradient of the sum is every point's gradient.
                output.sum().backward()
        except Exception as error:  # a reference that raises is reported, like a target
            return [Outcome.failure(error, program.n_inputs) for _ in points]
        values = output.detach().tolist()
        gradients = [
            leaf.grad.tolist() if leaf.grad is not None else [0.0] * len(points) for leaf in leaves
        ]
        return [
            Outcome(values[p], tuple(gradient[p] for gradient in gradients))
            for p in range(len(points))
        ]
