"""Independent references a target is judged against, each imported lazily.

A reference evaluates a program at many input points in one call (as tensors or arrays where
its library allows) and returns one :class:`~oracle.outcome.Outcome` per point:

* ``torch``: PyTorch autograd in float64;
* ``jax``: JAX's ``vmap(value_and_grad)`` in float64 (x64 enabled, result dtypes checked);
* ``fd``: central finite differences with Richardson extrapolation, in float64 NumPy;
* ``mpmath``: the high-precision ground truth, which differentiates the exact forward semantics
  numerically at 50 digits, independent of any derivative rule.

None of them imports refgrad.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

from oracle.outcome import Outcome
from oracle.program import Program


class MissingDependency(ImportError):
    """A reference or target needs a package that is not installed; names the extra."""


class Reference(Protocol):
    name: str

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]: ...


# name -> (module, class, the pip extra that installs what it needs)
REGISTRY = {
    "torch": ("oracle.references.torch_autograd", "TorchReference", "torch"),
    "jax": ("oracle.references.jax_grad", "JaxReference", "jax"),
    "fd": ("oracle.references.finite_differences", "FiniteDifferences", "oracle"),
    "mpmath": ("oracle.references.ground_truth", "GroundTruth", "oracle"),
}
ALL = tuple(REGISTRY)


def load(name: str) -> Reference:
    """Instantiate the reference called ``name``, importing its library now."""
    try:
        module_name, class_name, extra = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown reference {name!r}; choose from {', '.join(ALL)}") from None
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)()
    except ModuleNotFoundError as error:
        raise MissingDependency(
            f"the {name} reference needs {error.name!r}: pip install 'refgrad[{extra}]'"
        ) from error


def available() -> list[str]:
    """The references whose libraries are installed."""
    names = []
    for name in ALL:
        try:
            load(name)
        except MissingDependency:
            continue
        names.append(name)
    return names
