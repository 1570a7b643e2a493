"""How a campaign looks on a terminal (or in a CI log): progress, summary, each bug explained."""

from __future__ import annotations

import math
from collections import Counter
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oracle.compare import SAFETY, Verdict, quantities, quantity_names
from oracle.expected import bug_id
from oracle.higher_order import HigherOrderResult
from oracle.program import abridge
from oracle.runner import CampaignResult, CaseResult
from oracle.stateful import StatefulResult
from oracle.targets import Target

SHOWN_LINES = 24
LOG_WIDTH = 150  # rich assumes 80 columns off a terminal; CI logs are wider


def make_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console = Console(stderr=stderr, highlight=False, width=LOG_WIDTH)
    return console  # longer programs (deep chains) show their first and last lines


def header(console: Console, target: Target, settings, references) -> None:
    console.print(
        f"oracle check [bold]{target.name}[/]: references {', '.join(references)}; "
        f"families {', '.join(settings.families)}; seed {settings.seed}"
    )
    ops = settings.ops or target.supported_ops
    console.print(f"ops: {' '.join(ops)}")
    if target.unsupported_ops:
        unsupported = ", ".join(
            f"{op} ({reason.split(' raises ')[-1].split(':')[0]})"
            for op, reason in target.unsupported_ops.items()
        )
        console.print(f"not supported, so not tested: {unsupported}", highlight=False)


@contextmanager
def progress_reporter(console: Console, settings, ops):
    """A callback for the campaign: a bar per family on a terminal, a few lines otherwise.

    A family's bar counts the examples of all its units (the family over every op and, with
    ``per_op``, once per op).
    """
    totals = Counter()
    for unit in settings.units(ops):
        totals[unit.family] += settings.examples(unit)
    done = Counter()
    if console.is_terminal:
        columns = (
            TextColumn("{task.description:>7}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            tasks = {family: progress.add_task(family, total=totals[family]) for family in totals}

            def advance(unit, examples, unit_total, result):
                done[unit.family] += 1
                progress.update(tasks[unit.family], completed=done[unit.family])

            yield advance
        return

    def report_quarters(unit, examples, unit_total, result):
        done[unit.family] += 1
        count, total = done[unit.family], totals[unit.family]
        if count == total or count * 4 // total != (count - 1) * 4 // total:
            console.print(f"{unit.family}: {count}/{total} examples")

    yield report_quarters


def summary(console: Console, result: CampaignResult) -> None:
    verdicts = [v for v in Verdict if any(u.counts[v] for u in result.units)]
    table = Table(title="points per verdict", title_justify="left")
    table.add_column("unit")
    table.add_column("examples", justify="right")
    table.add_column("points", justify="right")
    for verdict in verdicts:
        table.add_column(str(verdict), justify="right")
    table.add_column("seconds", justify="right")
    for unit in result.units:
        table.add_row(
            unit.unit.name,
            str(unit.examples),
            str(unit.points),
            *(str(unit.counts[v]) for v in verdicts),
            f"{unit.seconds:.1f}",
        )
    console.print(table)
    rates = result.timing.throughput()
    console.print(
        "throughput (points/s): " + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items())
    )
    for unit in result.units:
        for note in unit.notes:
            console.print(f"note ({unit.unit.name}): {note}")


def finding(console: Console, title: str, result: CaseResult, shrunk: bool = True) -> None:
    if isinstance(result, StatefulResult):
        stateful_finding(console, title, result, shrunk)
        return
    if isinstance(result, HigherOrderResult):
        higher_order_finding(console, title, result, shrunk)
        return
    point = result.worst_point
    program = result.case.program
    identity = bug_id(result.case.family, result.judgement.verdict.value, program.to_json())
    _heading(console, title, result.case.family, result, identity, point, shrunk)
    console.print(outcome_table(result, point))
    _notes(console, result.judgement)


def stateful_finding(console: Console, title: str, result: StatefulResult, shrunk: bool) -> None:
    """A stateful finding: the property, the program, and what each engine held after each
    step of the scenario."""
    kind = f"{result.case.family}, {result.property_name}"
    _heading(console, title, kind, result, result.bug_id, 0, shrunk)
    console.print(f"scenario: {result.scenario}", highlight=False, markup=False)
    table = Table()
    for column in ("after", "quantity", "target", "torch", "tolerance"):
        table.add_column(column, overflow="fold", style="bold" if column == "target" else None)
    for row in result.rows():
        tolerance = "not compared" if row["tolerance"] is None else f"{row['tolerance']:.2g}"
        numbers = ["-" if row[e] is None else repr(row[e]) for e in ("target", "torch")]
        table.add_row(row["after"], row["quantity"], *numbers, tolerance)
    console.print(table)
    _notes(console, result.judgement)


def higher_order_finding(console: Console, title: str, result, shrunk: bool) -> None:
    """A jvp or hessian finding: the program, the point (and direction), and per quantity
    the target's number, each reference's and the tolerance."""
    point = result.worst_point
    _heading(console, title, result.family, result, result.bug_id, point, shrunk)
    direction = getattr(result.case, "direction", None)
    if direction:
        console.print(f"along v = ({', '.join(map(repr, direction))})", highlight=False)
    table = _engines_table(result.references)
    for row in result.rows[point]:
        numbers = [row.target, *(row.references.get(name) for name in result.references)]
        cells = ["-" if number is None else repr(number) for number in numbers]
        tolerance = "-" if row.tolerance is None else f"{row.tolerance:.2g}"
        table.add_row(row.quantity, *cells, tolerance)
    console.print(table)
    _notes(console, result.judgement)


def _heading(console: Console, title: str, kind: str, result, identity: str, point: int, shrunk):
    """What every finding starts with: title, verdict, explanation, program and point."""
    program, judgement = result.case.program, result.judgement
    console.print()
    console.print(f"[bold red]{title}[/] ({kind}): [bold]{judgement.verdict}[/] (id {identity})")
    console.print(judgement.explanation, highlight=False)
    label = "minimal program" if shrunk else "program (as drawn, not shrunk)"
    console.print(f"{label} ({len(program)} steps, {program.depth()} deep):")
    console.print(abridge(program.to_python(), SHOWN_LINES), highlight=False, markup=False)
    inputs = ", ".join(
        f"{name} = {x!r}"
        for name, x in zip(program.input_names(), result.case.points[point], strict=True)
    )
    console.print(f"at {inputs}", highlight=False)


def _notes(console: Console, judgement) -> None:
    for note in judgement.notes:
        console.print(f"note: {note}", highlight=False)


def _engines_table(references) -> Table:
    """An empty table with a column per quantity's name, the target, each reference and the
    tolerance."""
    table = Table()
    table.add_column("")
    table.add_column("target", style="bold", overflow="fold")
    for name in references:
        table.add_column(name, overflow="fold")
    table.add_column("tolerance")
    return table


def outcome_table(result: CaseResult, point: int) -> Table:
    program = result.case.program
    analysis = result.analyses[point]
    table = _engines_table(result.references)
    bounds = analysis.bounds if analysis is not None else None
    outcomes = [result.target[point], *(o[point] for o in result.references.values())]
    for index, name in enumerate(quantity_names(program.n_inputs)):
        cells = [_cell(outcome, index) for outcome in outcomes]
        tolerance = f"{SAFETY * bounds[index]:.2g}" if bounds is not None else "-"
        table.add_row(name, *cells, tolerance)
    return table


def _cell(outcome, index: int) -> str:
    if not outcome.ok:
        if index:
            return ""
        return "n/a" if outcome.error.startswith("no ground truth") else "raised"
    number = quantities(outcome)[index]
    return repr(number) if math.isfinite(number) else str(number)


def findings(console: Console, result: CampaignResult) -> None:
    for number, bug in enumerate(result.bugs, start=1):
        finding(console, f"BUG {number}", bug)
    for unit in result.units:
        for warning in unit.warnings:
            finding(console, "warning", warning, shrunk=False)
