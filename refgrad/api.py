"""The functional door into every mode: ``grad``, ``value_and_grad``, ``hessian`` and ``jvp``.

Shaped like JAX's: ``value_and_grad(f, argnums=0, mode="eager")(*args)`` returns
``(value, gradient)`` as Python floats, the gradient a tuple with one entry per argument when
``argnums`` is a tuple. ``f`` is a Python function of Values and numbers that returns a
Value or a number.

Transforms compose: ``grad(grad(f))(2.0)`` is the second derivative. A transform called
while another one is evaluating its function is *nested*: it records its gradient on the
graph (``create_graph``) and returns Values, so that the outer transform can differentiate
through it. The inner one differentiates with respect to fresh copies of its arguments, so
a function that closes over an outer variable is not confused with its own argument
(``grad(lambda x: x * grad(lambda y: x * y)(x))(3.0)`` is ``2 * 3.0``, as in JAX).

How each mode runs ``f`` (eager, static, compiled, batched) is in :mod:`refgrad.modes`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from refgrad.modes import HESSIAN_MODES, JVP_MODES, _mode, runner
from refgrad.passes.pipeline import Pass


def value_and_grad(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] = 0,
    mode: str = "eager",
    passes: Sequence[str | Pass] | None = None,
) -> Callable[..., tuple[object, object]]:
    """Return a function computing ``(f(*args), gradient of f at args)``.

    ``argnums`` selects the positional arguments to differentiate: an int gives one
    gradient, a tuple gives a tuple of gradients. ``mode`` picks how refgrad runs ``f``;
    see ``refgrad.MODES``.

    ``passes`` (the static, compiled and batched modes only) chooses how the gradient graph
    is optimised: None, the default, is refgrad's own optimisation; a sequence of pass names
    (``refgrad.passes.pipeline.PASSES``: ``simplify``, ``fold``, ``cse``, ``dce``,
    ``simplify+fold``) runs those passes to a fixed point instead, and ``()`` none. Every pass
    is exact, so the results are the same bit for bit; only the graph and its speed differ.
    """
    positions, single = _check_argnums(argnums)
    run = runner(mode, f, passes)
    resolved: dict[int, tuple[int, ...]] = {}  # argument count -> positions (checked once)

    def value_and_grad_f(*args, **kwargs):
        chosen = resolved.get(len(args))
        if chosen is None:
            chosen = resolved[len(args)] = _resolve_positions(positions, len(args), f)
        value, gradients = run(args, kwargs, chosen)
        return value, gradients[0] if single else gradients

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    value_and_grad_f.__doc__ = f.__doc__
    value_and_grad_f.runner = run  # the mode's runner (its cache, for inspection)
    return value_and_grad_f


def compile(
    f: Callable[..., object], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[object, object]]:
    """``value_and_grad(f, argnums, mode="compiled")``: traced once per path, optimised,
    turned into straight-line Python and cached. ``compiled.sources()`` returns the generated
    source of every specialisation so far, to print or read.
    """
    compiled = value_and_grad(f, argnums, mode="compiled")
    compiled.sources = compiled.runner.sources
    return compiled


def grad(
    f: Callable[..., object], argnums: int | tuple[int, ...] = 0, mode: str = "eager"
) -> Callable[..., object]:
    """Return a function computing the gradient of ``f`` (see :func:`value_and_grad`)."""
    both = value_and_grad(f, argnums, mode)

    def grad_f(*args, **kwargs):
        return both(*args, **kwargs)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    grad_f.__doc__ = f.__doc__
    return grad_f


def hessian(
    f: Callable[..., object], argnums: int | tuple[int, ...] | None = None, mode: str = "eager"
) -> Callable[..., tuple[tuple[object, ...], ...]]:
    """Return a function computing the matrix of second derivatives of ``f``.

    Unlike JAX (whose arguments are arrays), refgrad's arguments are scalars, so by default
    the Hessian is taken over *all* positional arguments; ``argnums`` narrows it. The result
    is a tuple of rows, each a tuple of floats: ``hessian(f)(x, y)[i][j]`` is
    d2f / d(arg i) d(arg j). It is the Jacobian of the gradient, one row per argument.
    """
    _mode(mode)
    if mode not in HESSIAN_MODES:
        raise ValueError(
            f"hessian runs in modes {', '.join(map(repr, HESSIAN_MODES))}, not {mode!r}"
        )
    run = HESSIAN_MODES[mode](f)

    def hessian_f(*args, **kwargs):
        if argnums is None:
            if not args:
                raise ValueError("hessian(f) needs at least one positional argument")
            positions = tuple(range(len(args)))
        else:
            positions = _resolve_positions(_check_argnums(argnums)[0], len(args), f)
        return run(args, kwargs, positions)

    hessian_f.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    hessian_f.__wrapped_runner__ = run  # the mode's runner (its cache, for inspection)
    return hessian_f


def jvp(f: Callable[..., object], mode: str = "eager") -> Callable[..., tuple[float, float]]:
    """Return ``jvp_f`` with ``jvp_f(primals, tangents) -> (f(*primals), J v)``: forward mode.

    As ``jax.jvp``, but a transform: ``primals`` and ``tangents`` are sequences of numbers of
    one length (every positional argument is differentiated), and the result is the value and
    the directional derivative of ``f`` at ``primals`` along ``tangents``, both floats. It is
    computed by pushing tangents forward through the graph (never from a gradient): eager
    mode sweeps the recorded graph, the static and compiled modes run the graph that
    ``refgrad.autodiff.forward`` makes of the traced function (cached per path, as for
    gradients). ``jvp`` does not nest inside other transforms.
    """
    _mode(mode)
    if mode not in JVP_MODES:
        raise ValueError(f"jvp runs in modes {', '.join(map(repr, JVP_MODES))}, not {mode!r}")
    run = JVP_MODES[mode](f)

    def jvp_f(primals, tangents):
        primals, tangents = tuple(primals), tuple(tangents)
        if not primals:
            raise ValueError("jvp(f) needs at least one primal")
        if len(tangents) != len(primals):
            raise ValueError(
                f"jvp needs one tangent per primal: {len(primals)} primals, "
                f"{len(tangents)} tangents"
            )
        return run(primals, tangents)

    jvp_f.__name__ = f"jvp({getattr(f, '__name__', 'f')})"
    jvp_f.__doc__ = f.__doc__
    jvp_f.runner = run  # the mode's runner (its cache, for inspection)
    return jvp_f


# ---------------------------------------------------------------------------------------------
# Checking argnums.
# ---------------------------------------------------------------------------------------------


def _check_argnums(argnums: object) -> tuple[tuple[int, ...], bool]:
    """Validate ``argnums``; return it as a tuple, and whether a single int was given."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (argnums,), True
    if isinstance(argnums, tuple) and argnums:
        for entry in argnums:
            if not isinstance(entry, int) or isinstance(entry, bool):
                raise TypeError(f"argnums entries must be ints, got {entry!r} in {argnums!r}")
        return argnums, False
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _resolve_positions(positions: tuple[int, ...], count: int, f: Callable) -> tuple[int, ...]:
    """Turn (possibly negative) argnums into positions, checking them against the call."""
    resolved = []
    for position in positions:
        if not -count <= position < count:
            raise ValueError(
                f"argnums={position} is out of range: {getattr(f, '__name__', 'f')} was called "
                f"with {count} positional argument{'s' if count != 1 else ''}"
            )
        resolved.append(position % count)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"argnums {positions} names the same argument twice")
    return tuple(resolved)
