"""A standalone HTML report from a result document: one file, inline CSS, no script.

:func:`render` turns a result document (:mod:`oracle.results`) into a page with the outcome,
points per verdict per family, the edge units' conventions at kinks (see
:mod:`oracle.conventions`), coverage (per op, op pairs, fan-out; see :mod:`oracle.coverage`),
throughput per engine, unsupported ops, each bug with its minimal program and table, notable
cases, warnings and notes.

The work is split in two: the functions here shape the document into plain rows and cells
(numbers formatted, CSS classes chosen, matrix cells shaded), and the Jinja template
``oracle/templates/report.html`` (with ``report.css``) only lays them out. The template
environment autoescapes, so every string from the document (explanations, error messages,
programs, target names) is escaped.
"""

from __future__ import annotations

import math
from functools import cache

import jinja2

from oracle import coverage, report
from oracle.compare import Verdict
from oracle.program import abridge

SHOWN_LINES = report.SHOWN_LINES
REASON_LENGTH = 300  # characters of an unsupported op's reason shown


def render(data: dict) -> str:
    """The HTML report of one campaign (raises :class:`oracle.report.ReportError` for a
    document that lacks what the report needs)."""
    report.check_document(data)
    return _template().render(page=page(data))


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("oracle", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt field fails loudly, not as a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html")


def page(data: dict) -> dict:
    """Everything the template shows, already formatted."""
    target = data["target"]
    merged = report.campaign_coverage(data)
    return {
        "target": target["name"],
        "outcome": _outcome(data),
        "facts": _facts(data),
        "command": report.regenerate_command(data),
        "ops": list(target["supported_ops"]),
        "families": _families(data["families"]),
        "coverage": None if merged is None else _coverage(data, merged),
        "throughput": _throughput(data["throughput"]),
        "unsupported": [
            {"op": op, "reason": report.clip(str(reason), REASON_LENGTH)}
            for op, reason in target["unsupported_ops"].items()
        ],
        "bugs": _cases(data["families"], "bugs", "Bug"),
        "conventions": _conventions(data),
        "conventions_intro": report.CONVENTIONS_INTRO.replace("`", ""),
        "warnings": _cases(data["families"], "warnings", "Warning"),
        "notable": _notable(data["families"]),
        "notes": [
            {"unit": report.entry_label(entry), "text": note}
            for entry in data["families"]
            for note in entry["notes"]
        ],
    }


# --- outcome -------------------------------------------------------------------------------------


def _outcome(data: dict) -> dict:
    bugs = data["bug_count"]
    unexpected = data.get("unexpected_bug_count")
    if not bugs:
        headline, state = "No target bug found", "pass"
    else:
        headline = f"{bugs} target bug{'s' if bugs != 1 else ''} found"
        state = "fail" if data["exit_code"] else "expected"
    detail = f"exit code {data['exit_code']}"
    if unexpected is not None and bugs:
        detail += f"; {unexpected} unexpected, {bugs - unexpected} expected by the xfail file"
    points = sum(entry["points"] for entry in data["families"])
    detail += f"; {points:,} points in {data['seconds']:.1f} s"
    return {"state": state, "headline": headline, "detail": detail}


def _facts(data: dict) -> list[tuple[str, str]]:
    """Label-value rows: when and where it ran, and with what."""
    settings = data["settings"]
    examples = settings["max_examples"]
    if len(set(examples.values())) == 1 and len(examples) > 1:
        examples_text = f"{next(iter(examples.values())):,} per unit ({len(examples)} units)"
    else:
        examples_text = ", ".join(f"{unit} {count:,}" for unit, count in examples.items())
    facts = [
        ("Made", str(data["created"])),
        ("Python", f"{data['python']} on {data['platform']}"),
        ("Versions", ", ".join(f"{name} {version}" for name, version in data["versions"].items())),
        ("Families", ", ".join(settings["families"])),
        ("Examples", examples_text),
        ("Seed", str(settings["seed"])),
        ("References", ", ".join(settings["references"])),
    ]
    if settings.get("shard"):
        index, count = settings["shard"]
        facts.append(("Shard", f"{index} of {count}"))
    return facts


# --- verdicts per family -----------------------------------------------------------------------


def _families(entries: list[dict]) -> dict:
    """The verdict table: a row per ``families`` entry (a unit), and a total row."""
    verdicts = report.verdicts_present(entry["verdicts"] for entry in entries)
    with_units = any(report.entry_label(entry) != entry["family"] for entry in entries)
    with_focus = any(entry.get("focus") for entry in entries)
    rows = [
        {
            "label": report.entry_label(entry),
            "family": entry["family"],
            "focus": entry.get("focus") or "all ops",
            "examples": _integer(entry["examples"]),
            "points": _integer(entry["points"]),
            "cells": _verdict_cells(entry["verdicts"], verdicts),
            "seconds": f"{entry['seconds']:.1f}",
            "first_bug": _integer(entry.get("examples_to_first_bug")),
            "failed": any(entry["verdicts"].get(v) for v in report.BUG_VERDICTS),
        }
        for entry in entries
    ]
    totals: dict[str, int] = {}
    for entry in entries:
        for verdict, count in entry["verdicts"].items():
            totals[verdict] = totals.get(verdict, 0) + count
    total = {
        "examples": _integer(sum(entry["examples"] for entry in entries)),
        "points": _integer(sum(entry["points"] for entry in entries)),
        "cells": _verdict_cells(totals, verdicts),
        "seconds": f"{sum(entry['seconds'] for entry in entries):.1f}",
    }
    return {
        "verdicts": verdicts,
        "rows": rows,
        "total": total if len(entries) > 1 else None,
        "with_units": with_units,
        "with_focus": with_focus,
    }


def _verdict_cells(counts: dict, verdicts: list[str]) -> list[dict]:
    return [_verdict_cell(verdict, counts.get(verdict, 0)) for verdict in verdicts]


def _verdict_cell(verdict: str, count: int) -> dict:
    """A count coloured by what its verdict means: agreement, a bug, or a doubt."""
    if not count:
        tone = "zero"
    elif verdict == Verdict.AGREE.value:
        tone = "good"
    elif verdict in report.BUG_VERDICTS:
        tone = "bad"
    else:
        tone = "doubt"
    return {"text": _integer(count), "tone": tone}


def _tone(verdict: str) -> str:
    """The colour class of a verdict name: ``good``, ``bad`` or ``doubt``."""
    return _verdict_cell(verdict, 1)["tone"]


# --- conventions at kinks (edge units) ------------------------------------------------------------


def _conventions(data: dict) -> list[dict]:
    """The edge units' convention tables, each row toned: a bug, agreement with both
    references, or a convention that differs from one of them."""
    tables = report.convention_tables(data)
    for table in tables:
        for row in table["rows"]:
            agreed = row["verdict"] == "follows both"
            row["tone"] = "bad" if row["bug"] else "good" if agreed else "doubt"
        table["explained"] = [row for row in table["rows"] if row["why"] and row["tone"] != "good"]
    return tables


# --- coverage ----------------------------------------------------------------------------------


def _coverage(data: dict, merged: dict) -> dict:
    ops = report.tested_ops(data, merged)
    recorded = sum(1 for entry in data["families"] if entry.get("coverage"))
    programs = merged["programs"]
    return {
        "programs": _integer(programs),
        "steps": _integer(merged["steps"]),
        "recorded": recorded,
        "entries": len(data["families"]),
        "per_op": _per_op(merged, ops),
        "matrix": _pair_matrix(merged, ops),
        "shape": [
            _histogram("Inputs", "inputs", "programs", merged["inputs"]),
            _histogram("Length", "steps", "programs", merged["length"]),
            _histogram("Depth (the longest chain)", "steps", "programs", merged["depth"]),
        ],
        "fan_out": _fan_out(merged),
    }


def _per_op(merged: dict, ops: list[str]) -> dict:
    verdicts = report.verdicts_present(entry["verdicts"] for entry in merged["ops"].values())
    programs = max(merged["programs"], 1)
    rows = []
    for op in ops:
        entry = merged["ops"].get(op, {"steps": 0, "programs": 0, "verdicts": {}})
        constants = merged["constants"].get(op, {})
        rows.append(
            {
                "op": op,
                "steps": _integer(entry["steps"]),
                "programs": _integer(entry["programs"]),
                "share": round(100 * entry["programs"] / programs),
                "cells": _verdict_cells(entry["verdicts"], verdicts),
                "left": _integer(constants.get("left", 0)),
                "right": _integer(constants.get("right", 0)),
                "self": _integer(merged["fan_out"]["self_operands"].get(op, 0)),
                "untested": not entry["programs"],
            }
        )
    return {"verdicts": verdicts, "rows": rows}


def _pair_matrix(merged: dict, ops: list[str]) -> dict:
    """Producer rows (inputs first) by consumer columns, each cell shaded by its count on a
    log scale, so that a pair seen 3 times is visibly lighter than one seen 3,000 times and
    a pair never seen stands out as a zero."""
    pairs = merged["pairs"]
    producers = [coverage.INPUT, *ops]
    largest = max((count for row in pairs.values() for count in row.values()), default=0)
    rows = [
        {
            "producer": producer,
            "cells": [
                _matrix_cell(producer, consumer, pairs.get(producer, {}).get(consumer, 0), largest)
                for consumer in ops
            ],
        }
        for producer in producers
    ]
    missing = len(coverage.missing_pairs(merged, ops))
    total = len(producers) * len(ops)
    return {"columns": ops, "rows": rows, "seen": total - missing, "total": total}


def _matrix_cell(producer: str, consumer: str, count: int, largest: int) -> dict:
    title = f"{producer} \N{RIGHTWARDS ARROW} {consumer}: {count:,}"
    if not count:
        return {"text": "0", "title": title, "style": "", "zero": True}
    strength = math.log1p(count) / math.log1p(largest)  # in (0, 1]
    alpha = 0.12 + 0.78 * strength
    ink = "#fff" if alpha > 0.55 else "inherit"
    style = f"background: rgba(37, 99, 235, {alpha:.2f}); color: {ink}"
    return {"text": _compact(count), "title": title, "style": style, "zero": False}


def _histogram(title: str, bucket: str, unit: str, counts: dict) -> dict:
    """A small bar chart: per bucket (``"3"``, ``"9-16"``), its count of ``unit`` (programs,
    values...) and a bar width in percent of the largest."""
    largest = max(counts.values(), default=0)
    ordered = sorted(counts.items(), key=lambda item: coverage.bucket_start(item[0]))
    return {
        "title": title,
        "bucket": bucket,
        "unit": unit,
        "rows": [
            {"label": label, "count": _integer(count), "width": _percent(count, largest)}
            for label, count in ordered
        ],
    }


def _fan_out(merged: dict) -> dict:
    fan_out = merged["fan_out"]
    programs = merged["programs"]
    shown = fan_out["programs"]
    patterns = [
        ("a value read twice or more", shown.get("fan_out", 0)),
        ("a value read by two different steps", shown.get("shared_value", 0)),
        ("a self-operand (v * v, v + v)", shown.get("self_operand", 0)),
        ("an input left unused", shown.get("unused_input", 0)),
    ]
    self_operands = ", ".join(
        f"{op} {count:,}" for op, count in fan_out["self_operands"].items() if count
    )
    return {
        "patterns": [
            {
                "label": label,
                "count": _integer(count),
                "share": round(100 * count / programs) if programs else 0,
            }
            for label, count in patterns
        ],
        "facts": [
            ("Most reads of one value", _integer(fan_out["most_uses"])),
            ("Values read by two or more steps", _integer(fan_out["shared_values"])),
            ("Self-operand steps", self_operands or "none"),
            ("Longest operand reach (values back)", _integer(fan_out["longest_reach"])),
        ],
        "histograms": [
            _histogram("Reads per value (the output excluded)", "reads", "values", fan_out["uses"]),
            _histogram("Operand reach", "values back", "operands", fan_out["reach"]),
        ],
    }


# --- throughput --------------------------------------------------------------------------------


def _throughput(throughput: dict) -> dict:
    """Per engine: points, seconds, rate, and its share of the time spent (the bar)."""
    total_seconds = sum(rate["seconds"] for rate in throughput.values())
    rows = [
        {
            "name": name,
            "points": _integer(rate["points"]),
            "seconds": f"{rate['seconds']:.3f}",
            "rate": f"{_rate(rate):,.0f}",
            "share": _percent(rate["seconds"], total_seconds),
        }
        for name, rate in throughput.items()
    ]
    return {"rows": rows}


def _rate(rate: dict) -> float:
    if "points_per_second" in rate:
        return rate["points_per_second"]
    return rate["points"] / rate["seconds"] if rate["seconds"] else 0.0


# --- bugs, warnings, notable cases -------------------------------------------------------------


def _cases(entries: list[dict], kind: str, title: str) -> list[dict]:
    cases = [(entry, case) for entry in entries for case in entry[kind]]
    return [
        _case(f"{title} {number}" if kind == "bugs" else title, entry, case)
        for number, (entry, case) in enumerate(cases, start=1)
    ]


def _case(title: str, entry: dict, case: dict) -> dict:
    names = [f"x{index}" for index in range(len(case["point"]))]
    engines = {"target": case["target"], **case["references"]}
    quantities = ["value", *(f"d/d{name}" for name in names)]
    rows = []
    for index, quantity in enumerate(quantities):
        tolerance = case["tolerance"][quantity] if case["tolerance"] else "-"
        rows.append(
            {
                "quantity": quantity,
                "cells": [report.quantity_cell(outcome, index) for outcome in engines.values()],
                "tolerance": report.short_number(tolerance),
                "flagged": quantity == case.get("quantity"),
            }
        )
    if "calls" in case:  # a stateful case: a row per reading, after each step of its scenario
        rows = [_stateful_row(row) for row in case["calls"]]
    columns = list(engines)
    if "quantities" in case:  # a jvp or hessian case: a row per quantity (J v, d2/dx0dx1...)
        columns = report.higher_order_engines(case)
        rows = [_higher_order_row(row, columns) for row in case["quantities"]]
    direction = case.get("direction")  # a jvp case's
    return {
        "title": title,
        "unit": report.entry_label(entry),
        "id": case.get("id"),  # result files from before bug ids have none
        "verdict": case["verdict"],
        "tone": _tone(case["verdict"]),
        "explanation": case["explanation"],
        "expected_by": case.get("expected_by"),
        "steps": _plural(case["steps"], "step"),
        "program": abridge(case["program_python"], SHOWN_LINES),
        "point": [(name, _coordinate(x)) for name, x in zip(names, case["point"], strict=True)],
        "direction": None if direction is None else ", ".join(map(str, direction)),
        "engines": columns,
        "rows": rows,
        "notes": list(case.get("notes", [])),
        "ill_conditioned": case.get("ill_conditioned"),
    }


def _higher_order_row(row: dict, engines: list[str]) -> dict:
    return {
        "quantity": row["quantity"],
        "cells": ["-" if row.get(e) is None else str(row[e]) for e in engines],
        "tolerance": "-" if row["tolerance"] is None else report.short_number(row["tolerance"]),
        "flagged": False,
    }


def _stateful_row(row: dict) -> dict:
    tolerance = row["tolerance"]
    return {
        "quantity": f"after {row['after']}: {row['quantity']}",
        "cells": ["-" if row[e] is None else str(row[e]) for e in ("target", "torch")],
        "tolerance": "not compared" if tolerance is None else report.short_number(tolerance),
        "flagged": False,
    }


def _notable(entries: list[dict]) -> list[dict]:
    """Cases neither agreeing nor bugs (fd unreliable, ill-conditioned...), a few per verdict."""
    return [
        _case("Notable", entry, case)
        for entry in entries
        for cases in entry.get("notable", {}).values()
        for case in cases
    ]


# --- formatting --------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _coordinate(x: float | str) -> str:
    """An input as Python writes it; JSON has no nan or inf, the document spells them out."""
    return x if isinstance(x, str) else repr(x)


def _integer(number: int | None) -> str:
    return "-" if number is None else f"{number:,}"


def _compact(count: int) -> str:
    """A matrix cell's count in at most four characters: 999, 1.2k, 35k, 1.2M."""
    if count < 1000:
        return str(count)
    if count < 9_950:
        return f"{count / 1000:.1f}k"
    if count < 999_500:
        return f"{count / 1000:.0f}k"
    return f"{count / 1_000_000:.1f}M"


def _percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 1) if whole else 0.0
