"""Forward mode and second derivatives of targets: their ``higher_order`` attribute.

A target that can answer the higher-order units (:mod:`oracle.higher_order`) carries a
:class:`~oracle.higher_order.Differentiator`: ``jvp(program, points, direction)`` and
``hessian(program, points)``, one outcome per point, and ``not_applicable`` naming what it
cannot do. Three kinds live here:

* :class:`RefgradDifferentiator`: ``refgrad.jvp`` (forward mode: eager sweeps the recorded
  graph, static and compiled run ``autodiff.forward``'s graph) and ``refgrad.hessian``
  (reverse over reverse) in one of refgrad's modes;
* :class:`FunctionDifferentiator`: a function-protocol engine given a ``jvp`` and a
  ``hessian`` transform (HIPS autograd's ``make_jvp`` and ``hessian``, see
  :mod:`oracle.targets.published`);
* :class:`ReferenceDifferentiator`: a reference run as a target (torch, jax), batched.

Everything an engine does wrong becomes a failed outcome, never an exception: a crash, a
Hessian of the wrong shape, a number that is not a float64 scalar.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

from oracle.higher_outcomes import HessianOutcome, JvpOutcome
from oracle.program import Program
from oracle.targets.common import ProtocolError, as_float64

# jvp(f, argnums) -> g, g(point, direction) -> (value, directional derivative)
JvpTransform = Callable[[Callable, tuple[int, ...]], Callable]
# hessian(f, argnums) -> h, h(*point) -> rows (n sequences of n numbers)
HessianTransform = Callable[[Callable, tuple[int, ...]], Callable]


class RefgradDifferentiator:
    """refgrad's ``jvp`` and ``hessian`` in ``mode`` (not applicable where refgrad has none,
    or where the target names optimisation passes, which only ``value_and_grad`` takes)."""

    def __init__(self, mode: str, passes: Sequence[str] | None = None):
        import refgrad
        from refgrad.modes import HESSIAN_MODES, JVP_MODES

        self.refgrad = refgrad
        self.mode = mode
        self.not_applicable: dict[str, str] = {}
        if mode not in JVP_MODES:
            self.not_applicable["jvp"] = (
                f"refgrad.jvp runs in modes {', '.join(JVP_MODES)}, not {mode}"
            )
        if mode not in HESSIAN_MODES:
            self.not_applicable["hessian"] = (
                f"refgrad.hessian runs in modes {', '.join(HESSIAN_MODES)}, not {mode}"
            )
        if passes is not None:
            reason = (
                "refgrad.jvp and refgrad.hessian run refgrad's default optimisation; a "
                "[passes=...] target checks value_and_grad only"
            )
            self.not_applicable = {"jvp": reason, "hessian": reason}

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        function = self.refgrad.jvp(_as_function(program), mode=self.mode)
        return [jvp_outcome(lambda point=point: function(point, direction)) for point in points]

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        function = self.refgrad.hessian(_as_function(program), mode=self.mode)
        n = program.n_inputs
        return [hessian_outcome(lambda point=point: function(*point), n) for point in points]


class FunctionDifferentiator:
    """A function-protocol engine's forward mode and Hessian, through the transforms it was
    given (either may be None: that unit is then not applicable)."""

    def __init__(
        self,
        calls: Mapping[str, Callable],
        jvp: JvpTransform | None,
        hessian: HessianTransform | None,
        leaf: Callable[[float], object] = float,
    ):
        self.calls = calls
        self.jvp_transform = jvp
        self.hessian_transform = hessian
        self.leaf = leaf
        self.not_applicable: dict[str, str] = {}
        for name, transform in (("jvp", jvp), ("hessian", hessian)):
            if transform is None:
                self.not_applicable[name] = (
                    f"the adapter gives no {name} transform (FunctionProtocolTarget({name}=...))"
                )

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        every_input = tuple(range(program.n_inputs))
        leaf, tangents = self.leaf, tuple(float(v) for v in direction)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy at edge points, autograd on constants
            try:
                function = self.jvp_transform(self._function(program), every_input)
            except Exception as error:
                return [JvpOutcome.failure(error) for _ in points]
            return [
                jvp_outcome(
                    lambda point=point: function(tuple(leaf(float(x)) for x in point), tangents)
                )
                for point in points
            ]

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        n = program.n_inputs
        leaf = self.leaf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                function = self.hessian_transform(self._function(program), tuple(range(n)))
            except Exception as error:
                return [HessianOutcome.failure(error, n) for _ in points]
            return [
                hessian_outcome(lambda point=point: function(*(leaf(float(x)) for x in point)), n)
                for point in points
            ]

    def _function(self, program: Program) -> Callable:
        calls = self.calls
        return lambda *inputs: program.run(inputs, calls)


class ReferenceDifferentiator:
    """A reference's forward mode and Hessian (torch, jax) answering as a target."""

    def __init__(self, name: str):
        from oracle import references

        self.not_applicable: dict[str, str] = {}
        self.reference = references.load_higher(name)

    def jvp(self, program: Program, points, direction: Sequence[float]) -> list[JvpOutcome]:
        return self.reference.jvp(program, points, direction)

    def hessian(self, program: Program, points) -> list[HessianOutcome]:
        return self.reference.hessian(program, points)


def jvp_outcome(call: Callable[[], object]) -> JvpOutcome:
    """``call()``'s ``(value, directional derivative)``, checked; a failure if it raised."""
    try:
        result = call()
        try:
            value, tangent = result
        except (TypeError, ValueError):
            raise ProtocolError(
                f"the jvp returned a {type(result).__name__}, not a (value, jvp) pair"
            ) from None
        return JvpOutcome(as_float64(value, "the value"), as_float64(tangent, "the jvp"))
    except Exception as error:
        return JvpOutcome.failure(error)


def hessian_outcome(call: Callable[[], object], n: int) -> HessianOutcome:
    """``call()``'s Hessian rows, checked to be ``n`` x ``n`` float64 numbers."""
    try:
        rows = [list(row) for row in call()]
        if len(rows) != n or any(len(row) != n for row in rows):
            shape = [len(row) for row in rows]
            raise ProtocolError(f"the Hessian has rows of lengths {shape}, not {n} x {n}")
        return HessianOutcome(
            tuple(
                tuple(as_float64(x, f"d2/dx{i}dx{j}") for j, x in enumerate(row))
                for i, row in enumerate(rows)
            )
        )
    except Exception as error:
        return HessianOutcome.failure(error, n)


def _as_function(program: Program) -> Callable:
    return lambda *inputs: program.run(inputs)
