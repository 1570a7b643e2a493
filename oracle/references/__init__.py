"""Independent references a target is judged against, each imported lazily.

A reference evaluates a program at many input points in one call (as tensors or arrays where
its library allows) and returns one :class:`~oracle.outcome.Outcome` per point:

* ``torch``: PyTorch autograd in float64;
* ``jax``: JAX's ``vmap(value_and_grad)`` in float64 (x64 enabled, result dtypes checked);
* ``fd``: central finite differences with Richardson extrapolation, in float64 NumPy;
* ``mpmath``: the high-precision ground truth, which differentiates the exact forward semantics
  numerically at 50 digits, independent of any derivative rule.

None of them imports refgrad.

For forward mode and second derivatives (:mod:`oracle.higher_order`), :func:`load_higher`
gives a reference's :class:`HigherOrderReference`: ``torch`` (``torch.func.jvp``, double
backward), ``jax`` (``jax.jvp``, vmapped ``jax.hessian``) and ``mpmath`` (directional and second
differences of the exact program). Finite differences have none: second differences in
float64 lose half the digits, too few to judge by.
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


class HigherOrderReference(Protocol):
    name: str

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list: ...

    def hessian(self, program: Program, points) -> list: ...


# name -> (module, class), for the references that answer forward-mode and second-order
# questions; the pip extra is the first-order reference's.
HIGHER_REGISTRY = {
    "torch": ("oracle.references.torch_higher", "TorchHigherOrder"),
    "jax": ("oracle.references.jax_higher", "JaxHigherOrder"),
    "mpmath": ("oracle.references.ground_truth_higher", "GroundTruthHigherOrder"),
}


def load_higher(name: str) -> HigherOrderReference:
    """The forward-mode and second-order side of reference ``name`` (ValueError if it has
    none, MissingDependency if its library is not installed)."""
    if name not in HIGHER_REGISTRY:
        raise ValueError(
            f"the {name} reference has no forward mode or second derivatives; "
            f"those come from {', '.join(HIGHER_REGISTRY)}"
        )
    module_name, class_name = HIGHER_REGISTRY[name]
    try:
        return getattr(importlib.import_module(module_name), class_name)()
    except ModuleNotFoundError as error:
        extra = REGISTRY[name][2]
        raise MissingDependency(
            f"the {name} reference needs {error.name!r}: pip install 'refgrad[{extra}]'"
        ) from error
