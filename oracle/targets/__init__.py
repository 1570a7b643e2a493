"""Targets: the engines under test, behind one small interface.

A target evaluates a program at input points and returns one
:class:`~oracle.outcome.Outcome` per point: a crash, a missing ``.grad`` or a non-float result
becomes a failed outcome, which the verdicts report as a finding about the target. The campaign
runs every target under :func:`oracle.limits.target_limits` (a time limit, a default stack), so
a hang is a failed outcome too, and an adapter that raises anyway fails its case, never the
campaign.

A target may also carry a ``higher_order`` attribute, the forward mode and Hessians the
``jvp`` and ``hessian`` units ask for (:mod:`oracle.higher_order`,
:mod:`oracle.targets.differentiators`): the built-in ``refgrad`` targets, ``torch``, ``jax``
and ``autograd`` have one, and a function-protocol adapter gets one from its ``jvp=`` and
``hessian=`` transforms.

Engines come in through one of three protocols, each probing the engine's ops once and listing
the ones it cannot run (never drawn, never silently skipped):

* the **value protocol** (:mod:`oracle.targets.value_protocol`): micrograd-style classes,
  ``Value(float)``, ``.data``, ``.grad`` after ``.backward()``;
* the **function protocol** (:mod:`oracle.targets.function_protocol`): engines that
  differentiate a function, given per-op calls and a ``value_and_grad`` transform;
* the **tensor protocol** (:mod:`oracle.targets.tensor_protocol`): torch-like tensors, given a
  leaf factory and per-op calls; ``.backward()`` on the output, ``.grad`` on the leaves.

``load(spec)`` accepts

* a built-in name: ``refgrad`` (the eager ``Value`` class), ``refgrad-eager``,
  ``refgrad-static``, ``refgrad-compiled``, ``refgrad-batched`` (refgrad's modes through
  ``refgrad.value_and_grad``; a graph mode may name its optimisation passes,
  ``refgrad-static[passes=cse]``, see :mod:`oracle.targets.refgrad_modes`), ``micrograd``
  (published micrograd's ``Value``), ``autograd`` (HIPS autograd, function protocol),
  ``mygrad`` (MyGrad, tensor protocol), ``torch-tensor`` (torch's scalar tensors through the
  tensor protocol), ``torch`` and ``jax`` (the references themselves, as targets); see
  :mod:`oracle.targets.published`;
* ``package.module:Attr`` or ``path/to/file.py:Attr``, where ``Attr`` is a value-protocol class
  or an object that already implements :class:`Target`: a
  :class:`~oracle.targets.function_protocol.FunctionProtocolTarget` or
  :class:`~oracle.targets.tensor_protocol.TensorProtocolTarget` built in the user's file, or
  any class of the user's own with ``name``, ``supported_ops``, ``unsupported_ops`` and
  ``evaluate`` (the escape hatch for engines no protocol fits)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from oracle.outcome import Outcome
from oracle.program import Program


class TargetLoadError(ValueError):
    """The target spec names nothing loadable, or what it names is not a usable engine."""


@runtime_checkable
class Target(Protocol):
    name: str
    supported_ops: tuple[str, ...]
    unsupported_ops: dict[str, str]  # op -> why it is not tested

    def evaluate(self, program: Program, points: Sequence[Sequence[float]]) -> list[Outcome]: ...


REFGRAD_MODES = ("eager", "static", "compiled", "batched")
PUBLISHED = ("autograd", "mygrad", "torch-tensor")  # oracle.targets.published
BUILT_IN = (
    "refgrad",
    *(f"refgrad-{mode}" for mode in REFGRAD_MODES),
    "micrograd",
    *PUBLISHED,
    "torch",
    "jax",
)


def load(spec: str) -> Target:
    """The target named by ``spec`` (see the module docstring)."""
    if spec == "refgrad":
        from oracle.targets.differentiators import RefgradDifferentiator
        from refgrad import Value

        target = _value_protocol(Value, "refgrad")
        # The eager Value is refgrad's eager mode: its jvp and hessian answer for it.
        target.higher_order = RefgradDifferentiator("eager")
        return target
    if spec.startswith("refgrad-"):
        return _refgrad_mode(spec.removeprefix("refgrad-"))
    if spec == "micrograd":
        spec = "micrograd.engine:Value"
    if spec in PUBLISHED:
        from oracle.targets.published import FACTORIES

        return FACTORIES[spec]()
    if spec in ("torch", "jax"):
        from oracle.targets.reference_target import ReferenceTarget

        return ReferenceTarget(spec)
    return _from_attribute(spec)


def _refgrad_mode(text: str) -> Target:
    """``static`` or ``static[passes=cse,dce]``: a refgrad mode, its passes chosen or not."""
    from oracle.targets.refgrad_modes import RefgradTarget, parse_spec

    try:
        mode, passes = parse_spec(text)
    except ValueError as error:
        raise TargetLoadError(f"refgrad-{text}: {error}") from None
    if mode not in REFGRAD_MODES:
        raise TargetLoadError(f"unknown refgrad mode {mode!r}; choose from {REFGRAD_MODES}")
    try:
        return RefgradTarget(mode, passes)
    except (TypeError, ValueError) as error:  # an unknown pass, or passes in eager mode
        raise TargetLoadError(f"refgrad-{text}: {error}") from None


def _value_protocol(cls, name: str) -> Target:
    from oracle.targets.value_protocol import ValueProtocolTarget

    return ValueProtocolTarget(cls, name)


def _from_attribute(spec: str) -> Target:
    location, separator, attribute = spec.rpartition(":")
    if not separator or not location or not attribute:
        raise TargetLoadError(
            f"target {spec!r} is neither a built-in name ({', '.join(BUILT_IN)}) nor "
            "'package.module:Attr' nor 'path/to/file.py:Attr'"
        )
    module = _import_file(location) if location.endswith(".py") else _import_module(location)
    try:
        thing = getattr(module, attribute)
    except AttributeError:
        raise TargetLoadError(f"{location} has no attribute {attribute!r}") from None
    if isinstance(thing, Target):
        return thing
    if isinstance(thing, type):
        return _value_protocol(thing, spec)
    raise TargetLoadError(
        f"{spec} is a {type(thing).__name__}; expected a value-protocol class or a Target "
        "(an object with name, supported_ops, unsupported_ops and evaluate)"
    )


def _import_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise TargetLoadError(f"cannot import {name!r}: {error}") from error


def _import_file(path_text: str):
    path = Path(path_text)
    if not path.is_file():
        raise TargetLoadError(f"no such file: {path_text}")
    name = f"oracle_target_{path.stem}_{abs(hash(path.resolve()))}"
    specification = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(specification)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    # As when Python runs a script, the file's directory comes first on the import path, so an
    # engine split over sibling files imports them the way it would run alone.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        specification.loader.exec_module(module)
    except Exception as error:
        raise TargetLoadError(f"importing {path_text} failed: {error!r}") from error
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module
