"""The suite's plots, drawn from a run (``suite_report.load``) with matplotlib's Agg backend.

Five PNG files, each with labelled axes and units, log scales where sizes span decades and
one legend per figure:

* ``headline.png``: time per node against size on the random DAG, every engine;
* ``time_per_node.png`` and ``speedup.png``: the same, and the speed-up over micrograd, on
  every workload (one panel each);
* ``compile_time.png``: compile time against size, with the peers' budgets, the compiled
  mode's target (30 ms per 1,000 nodes), and hollow markers where a compile was
  extrapolated over budget instead of run;
* ``oracle_throughput.png``: points checked per second, per target and per engine.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state), so this
works without a display and inside a test run.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.engines import BASELINE
from benchmarks.presets import HEADLINE_WORKLOAD
from benchmarks.suite_report import COMPILING, WORKLOAD_TEXT, Run

# engine -> (colour, marker, line style): the same in every figure.
STYLE = {
    "refgrad eager": ("tab:blue", "o", "-"),
    "refgrad static": ("tab:green", "s", "-"),
    "refgrad compiled": ("tab:purple", "^", "-"),
    "refgrad batched": ("tab:cyan", "D", "-"),
    "micrograd": ("black", "X", "-"),
    "torch eager": ("tab:orange", "o", "--"),
    "torch.compile": ("tab:brown", "^", "-."),
    "jax eager": ("tab:red", "o", "--"),
    "jax.jit": ("tab:pink", "^", "-."),
}
DPI = 110
SIZE_LABEL = "workload size (op nodes, log scale)"


def write_plots(run: Run, out: Path) -> list[Path]:
    """Draw every plot into ``out``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed; harmless if a backend is already chosen
    out.mkdir(parents=True, exist_ok=True)
    drawn = [
        _headline(run, out / "headline.png"),
        _per_workload(run, out / "time_per_node.png", speedup=False),
        _per_workload(run, out / "speedup.png", speedup=True),
        _compile_times(run, out / "compile_time.png"),
    ]
    if run.oracle:
        drawn.append(_oracle(run, out / "oracle_throughput.png"))
    return drawn


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path: Path) -> Path:
    # No "Software" entry (matplotlib's version) in the file: same run, same bytes.
    figure.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def _style(engine: str) -> dict:
    colour, marker, line = STYLE.get(engine, ("tab:gray", ".", ":"))
    width = 2.6 if engine == BASELINE else 1.8
    return {"color": colour, "marker": marker, "linestyle": line, "linewidth": width}


def _series(run: Run, workload: str, engine: str, speedup: bool) -> tuple[list, list]:
    """(nodes, value) where the engine ran: µs per node, or micrograd's time over its own."""
    xs, ys = [], []
    for size in run.sizes(workload):
        if speedup:
            value = run.ratio(workload, size, engine)
            value = None if value is None else 1 / value
        else:
            per_node = run.per_node(workload, size, engine)
            value = None if per_node is None else per_node * 1e6
        if value is not None:
            xs.append(run.nodes(workload, size))
            ys.append(value)
    return xs, ys


def _label(engine: str) -> str:
    return f"{engine} (per point)" if engine == "refgrad batched" else engine


def _log_axes(axes, ylabel: str, title: str) -> None:
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(SIZE_LABEL)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="major", alpha=0.4)
    axes.grid(True, which="minor", alpha=0.12)


def _headline(run: Run, path: Path) -> Path:
    figure = _figure(11, 6.5)
    axes = figure.add_subplot()
    for engine in run.engines():
        xs, ys = _series(run, HEADLINE_WORKLOAD, engine, speedup=False)
        if xs:
            axes.plot(xs, ys, label=_label(engine), **_style(engine))
    _log_axes(
        axes,
        "time per node (µs, log scale)",
        "Random DAG: forward + backward, median time per node (lower is faster)",
    )
    if axes.lines:
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title="engine")
    else:  # a run without the random DAG (say, one made with -k)
        axes.text(0.5, 0.5, "no random DAG case in this run", ha="center", transform=axes.transAxes)
    return _save(figure, path)


def _per_workload(run: Run, path: Path, speedup: bool) -> Path:
    workloads = run.workloads()
    columns = 2
    rows = (len(workloads) + columns - 1) // columns
    figure = _figure(14, 4.6 * rows + 1)
    handles = {}
    for index, workload in enumerate(workloads):
        axes = figure.add_subplot(rows, columns, index + 1)
        for engine in run.engines():
            xs, ys = _series(run, workload, engine, speedup)
            if xs:
                (line,) = axes.plot(xs, ys, label=_label(engine), **_style(engine))
                handles.setdefault(_label(engine), line)
        if speedup:
            axes.axhline(1.0, color="black", linewidth=1, alpha=0.6)
            ylabel = "speed-up over micrograd (x, log scale)"
        else:
            ylabel = "time per node (µs, log scale)"
        _log_axes(axes, ylabel, f"{workload}: {_short(workload)}")
    what = (
        "speed-up over micrograd, same rounds (higher is faster)"
        if speedup
        else ("median time per node (lower is faster)")
    )
    figure.suptitle(f"Forward + backward, {what}", fontsize="x-large")
    figure.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=5)
    return _save(figure, path)


def _short(workload: str) -> str:
    return WORKLOAD_TEXT.get(workload, workload).split(" (")[0].split(":")[0]


def _compile_times(run: Run, path: Path) -> Path:
    workloads = run.workloads()
    columns = 2
    rows = (len(workloads) + columns - 1) // columns
    figure = _figure(14, 4.6 * rows + 1)
    budgets = run.facts["budgets"]["compile seconds"]
    handles = {}
    for index, workload in enumerate(workloads):
        axes = figure.add_subplot(rows, columns, index + 1)
        nodes = [run.nodes(workload, size) for size in run.sizes(workload)]
        target = [0.030 * n / 1000 for n in nodes]
        (line,) = axes.plot(nodes, target, color="gray", linestyle=":", linewidth=1.5)
        handles.setdefault("target: 30 ms per 1,000 nodes (compiled)", line)
        for engine in (name for name in COMPILING if name in run.engines()):
            style = _style(engine)
            xs, ys, guessed_xs, guessed_ys = _compile_series(run, workload, engine)
            if xs:
                (line,) = axes.plot(xs, ys, **style)
                handles.setdefault(engine, line)
            if guessed_xs:
                (line,) = axes.plot(
                    guessed_xs,
                    guessed_ys,
                    color=style["color"],
                    marker=style["marker"],
                    linestyle="none",
                    markerfacecolor="none",
                    markersize=9,
                )
                handles.setdefault("first size over budget: extrapolated, not compiled", line)
            if engine in budgets:
                line = axes.axhline(
                    budgets[engine], color=style["color"], linestyle="--", alpha=0.7
                )
                handles.setdefault(f"{engine} budget ({budgets[engine]:g} s)", line)
        _log_axes(axes, "compile time (s, log scale)", f"{workload}: {_short(workload)}")
    figure.suptitle("Compile / trace time before the first run", fontsize="x-large")
    figure.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=4)
    return _save(figure, path)


def _compile_series(run: Run, workload: str, engine: str):
    """Measured compile times, and the extrapolated one of the first size skipped as over
    budget."""
    xs, ys, guessed_xs, guessed_ys = [], [], [], []
    for size in run.sizes(workload):
        record = run.record(workload, size, engine) or {}
        nodes = run.nodes(workload, size)
        if record.get("compile"):
            xs.append(nodes)
            ys.append(record["compile"]["seconds"])
        elif "compile" in record.get("estimate", {}) and not guessed_xs:
            # Only the first: the sizes after it are skipped on its account.
            guessed_xs.append(nodes)
            guessed_ys.append(record["estimate"]["compile"])
    return xs, ys, guessed_xs, guessed_ys


def _oracle(run: Run, path: Path) -> Path:
    records = [record for record in run.oracle if record.get("status") == "ok"]
    engines: list[str] = []
    for record in records:
        engines += [name for name in record["throughput"] if name not in engines]
    figure = _figure(12, 1.2 + 0.9 * len(records) + 0.15 * len(records) * len(engines))
    axes = figure.add_subplot()
    height = 0.8 / max(1, len(engines))
    colours = ["tab:blue", "tab:orange", "tab:red", "tab:green", "tab:purple", "tab:gray"]
    for index, engine in enumerate(engines):
        positions = [row - 0.4 + height * (index + 0.5) for row in range(len(records))]
        values = [record["throughput"].get(engine, 0.0) for record in records]
        label = "the target itself" if engine == "target" else engine
        axes.barh(positions, values, height=height, label=label, color=colours[index % 6])
    axes.set_yticks(range(len(records)))
    axes.set_yticklabels([f"{r['target']}\n({r['protocol']})" for r in records])
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("points checked per second (log scale; higher is faster)")
    axes.set_ylabel("target (protocol)")
    axes.grid(True, axis="x", which="both", alpha=0.3)
    first = records[0] if records else {"families": [], "examples per unit": 0}
    axes.set_title(
        "Oracle throughput per engine: campaign of "
        f"{', '.join(first['families'])}, {first['examples per unit']} examples per unit"
    )
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title="engine")
    return _save(figure, path)
