"""How refgrad runs a function: the modes behind ``value_and_grad(f, mode=...)``.

* **eager**: run ``f`` on Values, recording the graph as Python runs, then backpropagate. It
  pauses Python's cyclic garbage collector while it builds and differentiates the graph (and
  frees it before resuming): refgrad's graphs have no reference cycles, and without the
  pause the collector rescans the whole growing graph again and again.
* **static**: trace ``f`` once per path (refgrad.trace), differentiate the graph
  (refgrad.autodiff), optimise it (refgrad.passes), run it with the interpreter.
* **compiled**: the same graph turned into straight-line Python (refgrad.codegen).
* **batched**: the same graph as NumPy code, evaluated at a whole array of points per call.

Each mode is a factory ``MODES[name](f) -> runner``; ``runner(args, kwargs, argnums)`` returns
``(value, gradients)``. Transforms nest in eager mode only; the others run nested calls
eagerly. The graph modes also take ``MODES[name](f, passes=...)``, the optimisation chosen
by ``value_and_grad(..., passes=...)`` (see :func:`gradient_graph`).

Forward mode (``refgrad.jvp``, :data:`JVP_MODES`): eager mode records the graph as Python
runs and then pushes tangents forward through it, node by node in topological order, with
the op table's rules on floats (:func:`_eager_jvp`); the static and compiled modes trace the
function and run ``autodiff.forward``'s graph (:class:`_StagedJvp`). Neither computes a
gradient: the directional derivative is a genuine forward sweep.
"""

from __future__ import annotations

import functools
import numbers
import threading
import warnings
from collections.abc import Callable, Sequence

from refgrad.autodiff import forward, reverse, reverse_each
from refgrad.codegen import compile_numpy, compile_python
from refgrad.collector import collector_paused
from refgrad.graph import Graph
from refgrad.interpret import Interpreter
from refgrad.passes.pipeline import Pass, optimize, resolve
from refgrad.passes.simplify import SimplifyingBuilder
from refgrad.specialize import FLOAT_RULES
from refgrad.trace import TraceEscapeWarning, trace
from refgrad.value import (
    _LEAF,
    Value,
    _ancestors_topological,
    _backpropagate,
    _constant,
    _tie,
)

# How many transforms are evaluating their function right now (see the module docstring).
_nesting_depth = 0


def _eager(f, args, kwargs, positions):
    """Run ``f`` on Values, recording the graph as Python runs, then backpropagate."""
    with collector_paused():
        # Everything happens inside the pause, including freeing the graph: resumed while the
        # graph is alive, the collector would at once scan every node made during the pause.
        return _eager_value_and_grad(f, args, kwargs, positions)


def _eager_value_and_grad(f, args, kwargs, positions):
    global _nesting_depth
    nested = _nesting_depth > 0
    arguments = list(args)
    wrt = [_variable(arguments[position], position) for position in positions]
    for position, variable in zip(positions, wrt, strict=True):
        arguments[position] = variable
    _nesting_depth += 1
    try:
        out = f(*arguments, **kwargs)
    finally:
        _nesting_depth -= 1
    if not isinstance(out, Value):
        value = _number_result(out, f)
        return (value if nested else float(value)), tuple(0.0 for _ in wrt)
    seed = _constant(1.0) if nested else 1.0
    found = _backpropagate(out, seed, create_graph=nested, accumulate=False, targets=frozenset(wrt))
    gradients = tuple(found.get(variable, 0.0) for variable in wrt)
    if not nested:
        return out.data, gradients
    # Let the enclosing transform differentiate through this one: each variable becomes a
    # function of the argument it stood for (so far it was a leaf, which kept a closed-over
    # outer variable from being confused with it).
    for position, variable in zip(positions, wrt, strict=True):
        argument = args[position]
        if isinstance(argument, Value) and argument.requires_grad:
            _tie(variable, argument)
    return out, gradients


class _Staged:
    """A function traced once per path, differentiated as a graph, and run by ``build(graph)``.

    Specialisations are kept per key (the arguments that are not differentiated, baked into
    the graph as constants) and per path: a specialisation is used only at a call where its
    guards (the comparisons the function made while traced) come out as they did when traced;
    otherwise the function is traced again. A function whose trace escaped (it read a value's
    number) runs eagerly from then on, after one TraceEscapeWarning.
    """

    def __init__(
        self,
        f: Callable,
        build: Callable[[Graph], Callable[..., tuple]],
        passes: Sequence[Pass] | None = None,
    ) -> None:
        self.f = f
        self.build = build
        self.passes = passes  # None: the default optimisation (see gradient_graph)
        # key -> [(guard outcomes, what build made, its unchecked call)]
        self.specialisations: dict[object, list[tuple[tuple[bool, ...], object, Callable]]] = {}
        self.escaped: str | None = None

    def sources(self) -> list[str]:
        """The generated source of every specialisation (for modes that generate code)."""
        return [
            run.source
            for entries in self.specialisations.values()
            for _, run, _ in entries
            if hasattr(run, "source")
        ]

    def __call__(self, args, kwargs, positions, extra: tuple[float, ...] = ()):
        """The staged result at ``args``; ``extra`` are inputs of the staged graph after the
        differentiated arguments (the tangents of a JVP), passed through as they are."""
        key = _cache_key(args, kwargs, positions)
        if self.escaped or _nesting_depth > 0 or key is None:
            return self._eagerly(args, kwargs, positions, extra)
        inputs = []  # (a loop, not a comprehension: a call less per run in CPython 3.11)
        for position in positions:
            argument = args[position]
            inputs.append(argument if type(argument) is float else _as_input(argument, position))
        for expected, _, call in self.specialisations.get(key, ()):
            result = self._unpack(call(*inputs, *extra), expected, len(positions))
            if result is not None:
                return result
        expected, run, self.escaped = _stage(self.f, args, kwargs, positions, self._build)
        if run is None:
            warnings.warn(
                f"{getattr(self.f, '__name__', 'f')}: {self.escaped}; refgrad runs it "
                "eagerly from now on (use comparisons such as `x > 0`, which refgrad guards, "
                "instead of reading numbers)",
                TraceEscapeWarning,
                stacklevel=3,
            )
            return self._eagerly(args, kwargs, positions, extra)
        # Inputs are floats already (_as_input): skip the argument checks of run's __call__.
        call = getattr(run, "unchecked", run)
        self.specialisations.setdefault(key, []).append((expected, run, call))
        result = self._unpack(call(*inputs, *extra), expected, len(positions))
        if result is None:  # only if a comparison gave a different answer on the same floats
            raise RuntimeError("refgrad internal error: a fresh trace failed its own guards")
        return result

    def _build(self, traced: Graph):
        """What runs a trace: its graph differentiated, then made runnable by ``build``."""
        return self.build(self._differentiate(traced))

    # What is staged: value and gradient. _StagedHessian and _StagedJvp override these three.

    def _differentiate(self, traced: Graph) -> Graph:
        return gradient_graph(traced, self.passes)

    @staticmethod
    def _unpack(outputs: tuple, expected: tuple[bool, ...], n_inputs: int):
        return _unpack(outputs, expected, n_inputs)

    def _eagerly(self, args, kwargs, positions, extra):
        return _eager(self.f, args, kwargs, positions)


class _StagedHessian(_Staged):
    """``hessian`` in the static and compiled modes: the traced graph differentiated twice as
    a graph (one backward pass per gradient output), optimised, and run by ``build``, with
    the same guards, caching and eager fallback as value and gradient. Returns the rows."""

    def _differentiate(self, traced: Graph) -> Graph:
        first = reverse(traced, output=0)
        gradient_outputs = range(len(traced.outputs), len(first.outputs))
        return reverse_each(first, gradient_outputs, builder=SimplifyingBuilder())

    @staticmethod
    def _unpack(outputs: tuple, expected: tuple[bool, ...], n_inputs: int):
        if not _guards_hold(outputs, expected):
            return None
        entries = outputs[len(outputs) - n_inputs * n_inputs :]
        return tuple(
            tuple(entries[row * n_inputs : (row + 1) * n_inputs]) for row in range(n_inputs)
        )

    def _eagerly(self, args, kwargs, positions, extra):
        return _eager_hessian(self.f, args, kwargs, positions)


def _eager_hessian(f, args, kwargs, positions):
    """The Hessian rows by eager mode: each row the gradient of one gradient entry."""

    def gradient(*arguments, **keywords):
        return _eager_value_and_grad(f, arguments, keywords, positions)[1]

    rows = []
    for row in range(len(positions)):

        def entry(*arguments, row=row, **keywords):
            return gradient(*arguments, **keywords)[row]

        rows.append(tuple(_eager(entry, args, kwargs, positions)[1]))
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# Forward mode (refgrad.jvp): a directional derivative by pushing tangents forward.
# ---------------------------------------------------------------------------------------------


def _eager_jvp(f, primals, tangents):
    """``(f(*primals), directional derivative along tangents)`` in eager mode.

    ``f`` runs on fresh leaves, recording the graph; then one sweep over the graph in
    topological order (operands first) gives each node its tangent, the sum over its operands
    of the op table's rule applied to the operand's tangent: for a scalar op the rule that
    pulls a cotangent back also pushes a tangent forward (see refgrad.autodiff.forward).
    Values that no leaf reaches (constants) have no tangent, and contribute none.
    """
    if _nesting_depth > 0:
        raise ValueError("jvp cannot run inside another refgrad transform (it does not nest)")
    with collector_paused():
        leaves = [_variable(primal, position) for position, primal in enumerate(primals)]
        tangent_of = {leaf: _tangent(tangents[i], i) for i, leaf in enumerate(leaves)}
        out = f(*leaves)
        if not isinstance(out, Value):
            return float(_number_result(out, f)), 0.0
        order = _ancestors_topological(out, token=object())
        for node in order:
            node._scratch = None  # the walk's visited mark; nothing else reads it
            producer = node._producer
            if producer is _LEAF:
                continue  # a variable's tangent is given; a closed-over leaf has none
            x, y = node._lhs, node._rhs
            total = None
            for rule, operand in zip(FLOAT_RULES[producer].per_operand, (x, y), strict=False):
                t = tangent_of.get(operand)
                if rule is None or t is None:
                    continue
                arguments = (x._data,) if y is None else (x._data, y._data)
                contribution = rule(t, *arguments, node._data)
                total = contribution if total is None else total + contribution
            if total is not None:
                tangent_of[node] = total
        return out.data, tangent_of.get(out, 0.0)


def _tangent(number: object, position: int) -> float:
    if isinstance(number, bool) or not _is_real(number):
        kind = type(number).__name__
        raise TypeError(f"tangent {position} must be a real number, got {kind}: {number!r:.60}")
    return float(number)


class _StagedJvp(_Staged):
    """``jvp`` in the static and compiled modes: the traced graph turned by
    ``autodiff.forward`` into one that computes the value, the guards and the directional
    derivative (the tangents are inputs after the primal ones), run by
    ``build``, with the guards, caching per path and eager fallback of :class:`_Staged`."""

    def __call__(self, primals, tangents):
        directions = tuple(_tangent(t, position) for position, t in enumerate(tangents))
        every_input = tuple(range(len(primals)))
        return super().__call__(primals, {}, every_input, directions)

    def _differentiate(self, traced: Graph) -> Graph:
        return forward(traced, output=0, keep_outputs=True)

    @staticmethod
    def _unpack(outputs: tuple, expected: tuple[bool, ...], n_inputs: int):
        return (outputs[0], outputs[-1]) if _guards_hold(outputs, expected) else None

    def _eagerly(self, args, kwargs, positions, extra):
        return _eager_jvp(self.f, args, extra)


def _guards_hold(outputs: tuple, expected: tuple[bool, ...]) -> bool:
    """Do the guard outputs (after the value) of a staged graph come out as ``expected``?"""
    guards = outputs[1 : 1 + len(expected)]
    return all((g != 0.0) == want for g, want in zip(guards, expected, strict=True))


class _Batched:
    """``mode="batched"``: one DAG evaluated at many points per call, as NumPy code.

    Differentiated arguments are 1-D arrays of one length (one entry per point); the results
    are arrays. Specialisations are traced at a point and compiled to NumPy; each call runs
    them on the whole batch and keeps, per point, the results of the first specialisation
    whose guards hold there, tracing again at the first point none covers. A function whose
    trace escapes runs eagerly point by point (with a TraceEscapeWarning).
    """

    def __init__(self, f: Callable, passes: Sequence[Pass] | None = None) -> None:
        self.f = f
        self.passes = passes  # None: the default optimisation (see gradient_graph)
        self.specialisations: dict[object, list[tuple[tuple[bool, ...], Callable]]] = {}
        self.escaped: str | None = None

    def __call__(self, args, kwargs, positions):
        import numpy as np

        if _nesting_depth > 0:
            raise ValueError("mode='batched' cannot run inside another refgrad transform")
        arrays = [_as_batch(args[position], position, np) for position in positions]
        size = len(arrays[0])
        if any(len(array) != size for array in arrays):
            lengths = ", ".join(str(len(array)) for array in arrays)
            raise ValueError(f"batched arguments must have one length, got {lengths}")
        key = _cache_key(args, kwargs, positions)
        if key is None:
            raise TypeError("mode='batched' needs hashable non-differentiated arguments")
        value = np.empty(size)
        gradients = [np.empty(size) for _ in positions]
        todo = np.ones(size, dtype=bool)
        entries = self.specialisations.setdefault(key, [])
        for expected, run in entries:
            todo = self._fill(run(*arrays), expected, todo, value, gradients)
            if not todo.any():
                return value, tuple(gradients)
        while todo.any():
            first = int(np.flatnonzero(todo)[0])
            point = _point(args, positions, arrays, first)
            if self.escaped:  # (warned when it escaped)
                expected, run, escaped = (), None, None
            else:
                expected, run, escaped = _stage(self.f, point, kwargs, positions, self._build)
            if run is None:
                self._warn_escape(escaped)
                self._eagerly(args, kwargs, positions, arrays, todo, value, gradients)
                break
            entries.append((expected, run))
            todo = self._fill(run(*arrays), expected, todo, value, gradients)
        return value, tuple(gradients)

    @staticmethod
    def _fill(outputs, expected, todo, value, gradients):
        """Copy results where ``todo`` and the guards hold; return what is still to do."""
        holds = todo.copy()
        for guard, want in zip(outputs[1 : 1 + len(expected)], expected, strict=True):
            holds &= (guard != 0.0) == want
        value[holds] = outputs[0][holds]
        for target, output in zip(gradients, outputs[len(outputs) - len(gradients) :], strict=True):
            target[holds] = output[holds]
        return todo & ~holds

    def _build(self, traced: Graph):
        """What runs a trace: its gradient graph as NumPy code."""
        return compile_numpy(gradient_graph(traced, self.passes))

    def _warn_escape(self, escaped: str | None) -> None:
        if escaped is not None:
            self.escaped = escaped
            warnings.warn(
                f"{getattr(self.f, '__name__', 'f')}: {escaped}; refgrad evaluates "
                "it eagerly, point by point, from now on",
                TraceEscapeWarning,
                stacklevel=4,
            )

    def _eagerly(self, args, kwargs, positions, arrays, todo, value, gradients):
        for index in map(int, todo.nonzero()[0]):
            point_value, point_gradients = _eager(
                self.f, _point(args, positions, arrays, index), kwargs, positions
            )
            value[index] = point_value
            for target, gradient in zip(gradients, point_gradients, strict=True):
                target[index] = gradient


def _as_batch(argument: object, position: int, np):
    array = np.asarray(argument, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(
            f"argument {position} must be a 1-D array of points in mode='batched', "
            f"got shape {array.shape}"
        )
    return array


def _point(args, positions, arrays, index: int) -> list:
    point = list(args)
    for position, array in zip(positions, arrays, strict=True):
        point[position] = float(array[index])
    return point


def _stage(
    f: Callable, args, kwargs, positions, build: Callable[[Graph], object]
) -> tuple[tuple[bool, ...], object, str | None]:
    """Trace ``f`` at ``args`` and ``build`` what runs its traced graph: ``(guard outcomes,
    what build made, None)``, or ``(_, None, why)`` if the trace escaped.

    One pause of the collector for all of it, and the traced graph dropped before it ends:
    the collection that follows a pause scans every object made during it that is still
    alive (at 100,000 nodes, a pause for the trace and another for the build cost 66 ms of
    collections after the first call, one pause 17 ms). The build runs on a frame stack of
    its own (:func:`_on_fresh_stack`); the trace runs ``f``, the caller's code, so it stays
    on the caller's thread.
    """
    with collector_paused():  # graph nodes hold no cycles (see refgrad.collector)
        traced = trace(f, args, kwargs, positions)
        expected = tuple(guard.expected for guard in traced.guards)
        escaped, run = traced.escaped, None
        if not escaped:
            run = _on_fresh_stack(build, traced.graph)
        del traced
    return expected, run, escaped


def _on_fresh_stack(function: Callable[[Graph], object], graph: Graph) -> object:
    """``function(graph)`` on a thread of its own, so its frames start a frame stack of their
    own, at the same place whatever the caller's depth.

    CPython 3.11 keeps frames in chunks of a per-thread stack and frees a chunk as soon as
    the frame at its start returns (python/cpython#142183, fixed in 3.13; see
    benchmarks.timing.at_depth). Building makes millions of short calls a few levels deep,
    and where the caller's depth puts a chunk boundary among those levels, each of those
    calls maps and unmaps a chunk: at depths 112-116 of 136, a 1,000-node compile took
    102-177 ms where it takes 40-42 on a fresh stack (best of six first calls each, the two
    alternating). A new thread costs some 0.1 ms. (Exceptions from ``function`` reach the
    caller as they were raised. An interrupt stops the caller's wait at once; the build then
    runs to its end unseen, since a thread cannot be stopped from outside.)
    """
    results: list[object] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(function(graph))
        except BaseException as error:  # re-raised on the caller's thread
            errors.append(error)

    worker = threading.Thread(target=work, name="refgrad-build", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # no thread to be had (a resource limit): build here instead
        return function(graph)
    worker.join()
    if errors:
        error = errors.pop()
        try:
            raise error
        finally:
            del error  # (the traceback refers to this frame: no reference cycle)
    return results[0]


def gradient_graph(traced: Graph, passes: Sequence[Pass] | None = None) -> Graph:
    """The traced graph and its gradient, optimised by ``passes``.

    Differentiated first, then optimised (a rewrite that keeps values need not keep
    derivatives). By default (``passes`` None) in one go: ``reverse`` emits into a
    SimplifyingBuilder, which leaves the graph in the normal form the optimiser's single sweep
    gives (refgrad.passes.pipeline), dead code aside: the interpreter and the code generators
    skip nodes no output needs, so no dead-code pass copies the graph (at 100,000 nodes that
    copy took a tenth of the compile, to drop one node). No ``verify()``: a builder makes
    well-formed graphs, and the tests verify them.

    Chosen ``passes`` (opt-in, for debugging and for checking the optimiser): ``reverse``
    emits into a plain GraphBuilder, and ``optimize`` runs the passes to a fixed point; ``()``
    runs none. The plain builder still interns (hash-consing is how every graph is built, and
    ``Graph.verify`` demands it), so CSE finds nothing to merge here: it is for hand-made
    graphs.
    """
    if passes is None:
        return reverse(traced, output=0, builder=SimplifyingBuilder())
    return optimize(reverse(traced, output=0), passes)[0]


def _unpack(outputs: tuple, expected: tuple[bool, ...], n_gradients: int):
    """(value, gradients) if the guard outputs match ``expected``, else None."""
    # (A function without comparisons has nothing to check: the common case, kept fast.)
    if expected and not _guards_hold(outputs, expected):
        return None
    return outputs[0], outputs[len(outputs) - n_gradients :]


def _cache_key(args, kwargs, positions):
    """The non-differentiated arguments, which a trace bakes in; None if not hashable."""
    if not kwargs and len(positions) == len(args):  # every argument differentiated
        return (len(args), positions, (), ())
    fixed = tuple((i, arg) for i, arg in enumerate(args) if i not in positions)
    key = (len(args), positions, fixed, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _as_input(argument: object, position: int) -> float:
    if type(argument) is float:  # the common case, before the slower checks below
        return argument
    if isinstance(argument, Value):
        return argument._data
    if isinstance(argument, bool) or not _is_real(argument):
        raise TypeError(
            f"argument {position} is differentiated (argnums), so it must be a real number "
            f"or a Value; got {type(argument).__name__}: {argument!r:.60}"
        )
    return float(argument)


MODES: dict[str, Callable] = {
    "eager": lambda f: functools.partial(_eager, f),
    "static": lambda f, passes=None: _Staged(f, Interpreter, passes),
    "compiled": lambda f, passes=None: _Staged(f, compile_python, passes),
    "batched": _Batched,
}
"""The ways refgrad can run a function: name -> factory(f) -> runner(args, kwargs, argnums)."""

GRAPH_MODES = ("static", "compiled", "batched")
"""The modes that optimise a graph, whose factories also take ``passes``."""

HESSIAN_MODES: dict[str, Callable] = {
    "eager": lambda f: functools.partial(_eager_hessian, f),
    "static": lambda f: _StagedHessian(f, Interpreter),
    "compiled": lambda f: _StagedHessian(f, compile_python),
}
"""The modes ``hessian`` runs in: name -> factory(f) -> runner(args, kwargs, argnums) -> rows."""


JVP_MODES: dict[str, Callable] = {
    "eager": lambda f: functools.partial(_eager_jvp, f),
    "static": lambda f: _StagedJvp(f, Interpreter),
    "compiled": lambda f: _StagedJvp(f, compile_python),
}
"""The modes ``jvp`` runs in: name -> factory(f) -> runner(primals, tangents) -> (value, jvp)."""


def _mode(mode: str) -> Callable:
    try:
        return MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown mode {mode!r}; refgrad's modes are: {', '.join(map(repr, MODES))}"
        ) from None


def runner(mode: str, f: Callable, passes: Sequence[str | Pass] | None = None) -> Callable:
    """``MODES[mode](f)``, optimising with ``passes`` (names or Pass es) unless None."""
    factory = _mode(mode)
    if passes is None:
        return factory(f)
    if mode not in GRAPH_MODES:
        raise ValueError(
            f"passes= chooses how a graph is optimised, and mode={mode!r} builds none; "
            f"use one of {', '.join(map(repr, GRAPH_MODES))}"
        )
    return factory(f, passes=resolve(passes))


def _variable(argument: object, position: int) -> Value:
    """A fresh leaf to differentiate with respect to, standing for ``argument``."""
    if isinstance(argument, Value):
        return Value(argument.data)
    if isinstance(argument, bool) or not _is_real(argument):
        raise TypeError(
            f"argument {position} is differentiated (argnums), so it must be a real number "
            f"or a Value; got {type(argument).__name__}: {argument!r:.60}"
        )
    return Value(argument)


def _is_real(argument: object) -> bool:
    return isinstance(argument, numbers.Real)


def _number_result(out: object, f: Callable) -> object:
    if isinstance(out, bool) or not _is_real(out):
        raise TypeError(
            f"{getattr(f, '__name__', 'f')} must return a Value or a real number to be "
            f"differentiated; it returned {type(out).__name__}: {out!r:.60}"
        )
    return out
