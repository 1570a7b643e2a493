"""The engines the suite times, behind one interface: refgrad's four modes and the peers.

``ENGINES[name].prepare(workload, points)`` gets an engine ready to run a workload and
returns a :class:`Ready`: ``run()`` is one forward + backward pass (for the batched mode, at
every point of a batch), ``gradients(result)`` reads the gradient at the workload's own point
as floats. Reading is left out of the timing (it is the caller's business, not the engine's
work), and so is compiling: an engine that compiles (refgrad's static, compiled and batched
modes, ``torch.compile``, ``jax.jit``) does it in ``prepare`` and reports how long it took.

All engines get the same Python floats and run the same workload source (JAX with
``relu(v)`` for ``v.relu()``, see ``Workload.forward_with_relu``). Peers are imported when
first used: ``Engine.missing()`` names a module that is not installed, so that the suite
records "not installed" instead of failing.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.timing import timed
from benchmarks.workloads import Workload


@dataclass
class Ready:
    """An engine prepared for one workload."""

    run: Callable[[], object]  # one forward + backward (the batched mode: at every point)
    gradients: Callable[[object], list[float]]  # run()'s gradients at the workload's point
    compile_seconds: float | None = None  # tracing and compiling, before the first run
    compile_parts: dict[str, float] = field(default_factory=dict)  # where jax.jit spends it
    points: int = 1  # points evaluated per run
    plans: dict[str, dict[str, int]] = field(default_factory=dict)  # refgrad's memory plans


@dataclass(frozen=True)
class Engine:
    name: str
    prepare: Callable[[Workload, int], Ready]
    modules: tuple[str, ...] = ()  # what must be installed
    compiles: bool = False
    warm_up: Callable[[], None] | None = None  # a peer's one-off first-use cost, paid untimed

    def missing(self) -> str | None:
        """The first required module that is not installed, or None."""
        for module in self.modules:
            if importlib.util.find_spec(module) is None:
                return module
        return None


WARM_UP_SECONDS: dict[str, float] = {}
"""How long each peer's one-off warm-up took in this process (the report prints it)."""


def warm_up_once(engine: Engine) -> None:
    """Pay a peer's first-use cost (torch.compile starts its compiler workers, JAX its
    backend) before anything is timed, once per process."""
    if engine.warm_up is not None and engine.name not in WARM_UP_SECONDS:
        WARM_UP_SECONDS[engine.name] = timed(engine.warm_up)[0]


def _argnums(workload: Workload) -> tuple[int, ...]:
    return tuple(range(len(workload.inputs)))


# --- refgrad -------------------------------------------------------------------------------


def _refgrad_eager(workload: Workload, points: int) -> Ready:
    import refgrad

    value_and_grad = refgrad.value_and_grad(workload.forward, argnums=_argnums(workload))
    return Ready(lambda: value_and_grad(*workload.inputs), lambda result: list(result[1]))


def _refgrad_graph_mode(mode: str) -> Callable[[Workload, int], Ready]:
    """static, compiled or batched: the first call traces, differentiates, optimises and
    builds; compile time is that call less a second one (the run it also did)."""

    def prepare(workload: Workload, points: int) -> Ready:
        import refgrad

        value_and_grad = refgrad.value_and_grad(
            workload.forward, argnums=_argnums(workload), mode=mode
        )
        batched = mode == "batched"
        arguments = workload.batch(points) if batched else workload.inputs
        first, _ = timed(lambda: value_and_grad(*arguments))
        again, _ = timed(lambda: value_and_grad(*arguments))
        gradients = _first_point if batched else (lambda result: list(result[1]))
        return Ready(
            run=lambda: value_and_grad(*arguments),
            gradients=gradients,
            compile_seconds=max(0.0, first - again),
            points=points if batched else 1,
            plans=_memory_plans(value_and_grad.runner, mode),
        )

    return prepare


def _first_point(result) -> list[float]:
    return [float(gradient[0]) for gradient in result[1]]


def _memory_plans(runner, mode: str) -> dict[str, dict[str, int]]:
    """The optimised gradient graph's size and peak live values (refgrad.memory).

    The static mode's interpreter keeps every node's value, so its plan is computed here
    (liveness, no fusion); generated code comes with its own plan (after fusion).
    """
    from refgrad.memory import plan_memory

    for entries in getattr(runner, "specialisations", {}).values():
        built = entries[0][1]  # (guards, what the mode built, ...): the first path
        if mode == "static":
            plan = plan_memory(built.graph, skip_dead=True)
            return {"static": {"graph_nodes": plan.node_count, "peak_slots": plan.slot_count}}
        plan = getattr(built, "plan", None)
        if plan is not None:
            return {mode: {"graph_nodes": plan.node_count, "peak_slots": plan.slot_count}}
    return {}


# --- peers ---------------------------------------------------------------------------------


def _micrograd(workload: Workload, points: int) -> Ready:
    from micrograd.engine import Value

    return Ready(
        lambda: workload.forward_backward(Value), lambda leaves: [leaf.grad for leaf in leaves]
    )


def _torch_run(forward: Callable, inputs: tuple[float, ...]) -> Callable[[], list]:
    """One forward + backward on float64 scalar tensors, as a micrograd user would write it."""
    import torch

    def run():
        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
        forward(*leaves).backward()
        return leaves

    return run


def _torch_gradients(leaves) -> list[float]:
    return [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]  # None: unused


def _torch_eager(workload: Workload, points: int) -> Ready:
    return Ready(_torch_run(workload.forward, workload.inputs), _torch_gradients)


def _torch_compile(workload: Workload, points: int) -> Ready:
    """``torch.compile`` of the forward (Inductor), then ``.backward()``: compiling happens
    during the first call, for the forward and the backward graph; compile time is that
    call less a second one."""
    import torch

    _torch_compile_settings()
    torch.compiler.reset()
    run = _torch_run(torch.compile(workload.forward), workload.inputs)
    first, _ = timed(run)
    again, _ = timed(run)
    return Ready(run, _torch_gradients, compile_seconds=max(0.0, first - again))


def _torch_compile_settings() -> None:
    import torch

    # Time compiling, not reading Inductor's on-disk cache of an earlier run.
    torch.compiler.config.force_disable_caches = True
    warnings.filterwarnings("ignore", message="dynamo_pgo force disabled", category=UserWarning)


def _torch_compile_warm_up() -> None:
    import torch

    _torch_compile_settings()
    leaf = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    torch.compile(lambda x: (x * 2.0).relu())(leaf).backward()
    torch.compiler.reset()


def _jax():
    import jax

    # Without x64, JAX computes in float32 (see ../shared/DESIGN.md): every engine here is float64.
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_gradients(result) -> list[float]:
    _, gradients = result
    for gradient in gradients:
        if str(gradient.dtype) != "float64":
            raise TypeError(f"JAX computed a {gradient.dtype} gradient: x64 mode is off")
    return [float(gradient) for gradient in gradients]


def _jax_eager(workload: Workload, points: int) -> Ready:
    """``jax.value_and_grad`` without ``jit``: every primitive dispatched as Python runs."""
    jax = _jax()
    forward = workload.forward_with_relu(jax.nn.relu)
    value_and_grad = jax.value_and_grad(forward, argnums=_argnums(workload))
    return Ready(lambda: jax.block_until_ready(value_and_grad(*workload.inputs)), _jax_gradients)


def _jax_jit(workload: Workload, points: int) -> Ready:
    """``jax.jit(jax.value_and_grad(f))``, compiled ahead of time so that tracing and
    lowering (Python) and XLA's compile are timed apart, and neither is part of a run."""
    jax = _jax()
    forward = workload.forward_with_relu(jax.nn.relu)
    jitted = jax.jit(jax.value_and_grad(forward, argnums=_argnums(workload)))
    lower_seconds, lowered = timed(lambda: jitted.lower(*workload.inputs))
    compile_seconds, compiled = timed(lowered.compile)
    return Ready(
        run=lambda: jax.block_until_ready(compiled(*workload.inputs)),
        gradients=_jax_gradients,
        compile_seconds=lower_seconds + compile_seconds,
        compile_parts={"trace + lower": lower_seconds, "XLA compile": compile_seconds},
    )


def _jax_eager_warm_up() -> None:
    jax = _jax()
    jax.block_until_ready(jax.value_and_grad(lambda x: jax.nn.relu(x * 2.0) ** 2)(0.5))


def _jax_jit_warm_up() -> None:
    jax = _jax()
    jax.block_until_ready(jax.jit(jax.value_and_grad(lambda x: x * 2.0))(0.5))


ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        Engine("refgrad eager", _refgrad_eager),
        Engine("refgrad static", _refgrad_graph_mode("static"), compiles=True),
        Engine("refgrad compiled", _refgrad_graph_mode("compiled"), compiles=True),
        Engine("refgrad batched", _refgrad_graph_mode("batched"), ("numpy",), compiles=True),
        Engine("micrograd", _micrograd, ("micrograd",)),
        Engine("torch eager", _torch_eager, ("torch",)),
        Engine("torch.compile", _torch_compile, ("torch",), True, _torch_compile_warm_up),
        Engine("jax eager", _jax_eager, ("jax",), warm_up=_jax_eager_warm_up),
        Engine("jax.jit", _jax_jit, ("jax",), True, _jax_jit_warm_up),
    )
}
"""Every engine, in the order reports list them."""

REFERENCE = "refgrad eager"  # every engine's gradients are checked against it
BASELINE = "micrograd"  # every time is also given as a ratio to it

DISTRIBUTIONS = (
    "refgrad",
    "micrograd",
    "torch",
    "jax",
    "jaxlib",
    "numpy",
    "autograd",
    "mygrad",
    "hypothesis",
    "mpmath",
    "pytest-benchmark",
    "matplotlib",
)


def versions() -> dict[str, str]:
    """Installed version of every package the suite can use ("not installed" if absent)."""
    found = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
