"""A Markdown report from a result file: ``oracle report FILE.json [-o FILE.md]``.

The report is made from the JSON alone (never by re-running), so a committed result file and
its report always agree, and CI can render the report of a campaign it archived.

* :func:`markdown`: the full report (with a coverage section when the families recorded
  coverage, see :mod:`oracle.coverage`);
* :func:`summary`: a short GitHub-flavoured summary for a CI step (``$GITHUB_STEP_SUMMARY``):
  the outcome, points per verdict per family, each bug folded in a ``<details>`` block;
* helpers the HTML report (:mod:`oracle.html_report`) shares: :func:`check_document`,
  :func:`regenerate_command`, :func:`quantity_cell`, :func:`campaign_coverage`,
  :func:`convention_tables`.
"""

from __future__ import annotations

import html
import re
import shlex

from oracle import coverage, results
from oracle.compare import Verdict
from oracle.ops import OPS
from oracle.program import abridge

SHOWN_LINES = 16
SUMMARY_BUGS = 10  # bugs shown in a CI summary; the full report has them all
SHOWN_MISSING_PAIRS = 12
BUG_VERDICTS = frozenset(verdict.value for verdict in Verdict if verdict.is_bug)

# What a renderer reads from a result document (see :mod:`oracle.results`).
DOCUMENT_KEYS = (
    "created",
    "python",
    "platform",
    "versions",
    "target",
    "settings",
    "families",
    "throughput",
    "bug_count",
    "exit_code",
    "seconds",
)
TARGET_KEYS = ("name", "supported_ops", "unsupported_ops")
SETTINGS_KEYS = ("families", "max_examples", "seed", "references")
FAMILY_KEYS = ("family", "examples", "points", "verdicts", "seconds", "notes", "bugs", "warnings")
CASE_KEYS = (
    "verdict",
    "explanation",
    "family",
    "program_python",
    "steps",
    "point",
    "target",
    "references",
    "tolerance",
)

CONVENTIONS_KEYS = ("rows", "drawn")  # an edge unit's table (see oracle.conventions)
CONVENTION_ROW_KEYS = (
    "label",
    "program_python",
    "point",
    "target",
    "torch",
    "jax",
    "interval_text",
    "verdict",
    "bug",
)


class ReportError(ValueError):
    """A result document lacks what a report needs (a missing key, a wrong kind of value)."""


def check_document(data: dict) -> None:
    """Raise :class:`ReportError` if ``data`` is not a result document a report can render."""
    _require(data, DOCUMENT_KEYS, "the result document")
    _require(data["target"], TARGET_KEYS, "target")
    _require(data["settings"], SETTINGS_KEYS, "settings")
    if not isinstance(data["families"], list):
        raise ReportError("families is not a list")
    for position, family in enumerate(data["families"]):
        _require(family, FAMILY_KEYS, f"families[{position}]")
        for kind in ("bugs", "warnings"):
            for number, case in enumerate(family[kind]):
                _require(case, CASE_KEYS, f"families[{position}].{kind}[{number}]")
        for verdict, cases in family.get("notable", {}).items():
            for number, case in enumerate(cases):
                _require(case, CASE_KEYS, f"families[{position}].notable[{verdict!r}][{number}]")
        if "conventions" in family:
            where = f"families[{position}].conventions"
            _require(family["conventions"], CONVENTIONS_KEYS, where)
            for number, row in enumerate(family["conventions"]["rows"]):
                _require(row, CONVENTION_ROW_KEYS, f"{where}.rows[{number}]")


def _require(mapping, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(mapping, dict):
        raise ReportError(f"{where} is not an object but {type(mapping).__name__}")
    missing = [key for key in keys if key not in mapping]
    if missing:
        raise ReportError(f"{where} has no {', '.join(map(repr, missing))}")


def markdown(data: dict) -> str:
    """The report of one campaign, as Markdown."""
    check_document(data)
    target = data["target"]
    settings = data["settings"]
    lines = [
        f"# oracle check {target['name']}",
        "",
        f"{_outcome(data)} Made {data['created']} with Python {data['python']} on "
        f"{data['platform']}; {_versions(data['versions'])}.",
        "",
        f"- Regenerate: `{regenerate_command(data)}`",
        f"- Families: {', '.join(settings['families'])}; examples per family: "
        + ", ".join(f"{f} {n}" for f, n in settings["max_examples"].items())
        + f"; seed {settings['seed']}; references: {', '.join(settings['references'])}.",
        f"- Ops tested: {' '.join(target['supported_ops'])}.",
    ]
    if target["unsupported_ops"]:
        lines.append(f"- Not supported, so not tested: {', '.join(target['unsupported_ops'])}.")
    lines += ["", *_verdict_table(data["families"]), "", *_throughput(data["throughput"])]
    merged = campaign_coverage(data)
    if merged is not None:
        lines += ["", *_coverage(merged, data)]
    for table in convention_tables(data):
        lines += ["", *_conventions(table)]
    lines += higher_order_section(data)
    for family in data["families"]:
        for note in family["notes"]:
            lines += ["", f"Note ({entry_label(family)}): {note}"]
    number = 0
    for family in data["families"]:
        for bug in family["bugs"]:
            number += 1
            lines += ["", *_case(f"Bug {number}", bug)]
    for family in data["families"]:
        for warning in family["warnings"]:
            lines += ["", *_case("Warning", warning)]
    return "\n".join(lines) + "\n"


def _outcome(data: dict) -> str:
    bugs = data["bug_count"]
    if not bugs:
        return f"**No target bug found** in {data['seconds']:.0f} s."
    return f"**{bugs} target bug{'s' if bugs != 1 else ''} found** in {data['seconds']:.0f} s."


def _versions(versions: dict) -> str:
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def regenerate_command(data: dict) -> str:
    """The ``oracle check`` command line that reruns this campaign (options that were at
    their defaults, or that older result files do not record, are left out)."""
    settings = data["settings"]
    parts = [
        f"oracle check {shlex.quote(data['target']['name'])}",
        f"--families {','.join(settings['families'])}",
        f"--seed {settings['seed']}",
        f"--references {','.join(settings['references'])}",
    ]
    counts = set(settings["max_examples"].values())
    if len(counts) == 1:
        parts.append(f"--max-examples {counts.pop()}")
    if settings.get("per_op"):
        parts.append("--per-op")
    if settings.get("shard"):
        parts.append("--shard {}/{}".format(*settings["shard"]))
    if settings.get("strict"):
        parts.append("--strict")
    if settings.get("order", 1) != 1:
        parts.append(f"--order {settings['order']}")
    if settings.get("modes", ["rev"]) != ["rev"]:
        parts.append(f"--modes {','.join(settings['modes'])}")
    return " ".join(parts)


def _verdict_table(families: list[dict]) -> list[str]:
    verdicts = [v.value for v in Verdict if any(f["verdicts"].get(v.value) for f in families)]
    lines = [
        "| family | examples | points | " + " | ".join(verdicts) + " | seconds |",
        "|---|---:|---:|" + "---:|" * len(verdicts) + "---:|",
    ]
    for f in families:
        counts = " | ".join(str(f["verdicts"].get(v, 0)) for v in verdicts)
        lines.append(
            f"| {entry_label(f)} | {f['examples']} | {f['points']} | {counts} | "
            f"{f['seconds']:.1f} |"
        )
    return lines


def _throughput(throughput: dict) -> list[str]:
    lines = ["| engine | points | seconds | points per second |", "|---|---:|---:|---:|"]
    for name, rate in throughput.items():
        per_second = f"{rate['points_per_second']:,.0f}"
        lines.append(f"| {name} | {rate['points']} | {rate['seconds']:.3f} | {per_second} |")
    return lines


def _case(title: str, case: dict) -> list[str]:
    return [
        f"## {title} ({case_label(case)}): {case['verdict']}",
        "",
        case["explanation"],
        "",
        *_program(case, shrunk=title != "Warning"),
        "",
        *_table(case),
    ]


def case_label(case: dict) -> str:
    """``smooth``, or ``stateful, backward twice``: where a case was found."""
    prop = case.get("property")
    return case["family"] if prop is None else f"{case['family']}, {prop}"


def _table(case: dict) -> list[str]:
    """The case's table: per quantity, or for a stateful case per step of its scenario."""
    if "quantities" in case:
        return higher_order_table(case)
    if "calls" not in case:
        return _outcome_table(case)
    lines = [
        f"Scenario: {_code(case['scenario'])}",
        "",
        "| after | quantity | target | torch | tolerance |",
        "|---|---|---|---|---|",
    ]
    for row in case["calls"]:
        cells = [row["after"], row["quantity"], row["target"], row["torch"]]
        text = " | ".join(_table_text("-" if cell is None else str(cell)) for cell in cells)
        tolerance = "not compared" if row["tolerance"] is None else short_number(row["tolerance"])
        lines.append(f"| {text} | {tolerance} |")
    return lines


def _program(case: dict, shrunk: bool) -> list[str]:
    program = abridge(case["program_python"], SHOWN_LINES)
    return [
        f"{'Minimal program' if shrunk else 'Program, as drawn'} "
        f"({case['steps']} steps), at {point_text(case['point'])}:",
        "",
        "```python",
        program,
        "```",
    ]


def point_text(point: list) -> str:
    """``x0 = 1.5, x1 = -2.0``: the inputs where a case shows."""
    return ", ".join(f"x{i} = {x!r}" for i, x in enumerate(point))


def _outcome_table(case: dict) -> list[str]:
    """Target, each reference and the tolerance, per quantity (value, d/dx0...)."""
    engines = {"target": case["target"], **case["references"]}
    rows = ["value", *(f"d/dx{i}" for i in range(len(case["point"])))]
    table = [
        "| | " + " | ".join(engines) + " | tolerance |",
        "|---|" + "---|" * (len(engines) + 1),
    ]
    for index, row in enumerate(rows):
        cells = [_table_text(quantity_cell(outcome, index)) for outcome in engines.values()]
        tolerance = case["tolerance"][row] if case["tolerance"] else "-"
        table.append(f"| {row} | " + " | ".join(cells) + f" | {short_number(tolerance)} |")
    return table


def _table_text(text: str) -> str:
    """Text safe in a Markdown table cell: no column break, no HTML."""
    return text.replace("|", "\\|").replace("<", "&lt;")


def quantity_cell(outcome: dict, index: int) -> str:
    """How a report shows quantity ``index`` (0 the value, then the gradient) of an outcome."""
    if "error" in outcome:
        if index:
            return ""
        if outcome["error"].startswith("no ground truth"):
            return "n/a"
        return f"raised {outcome['error'].split(':')[0]}"
    numbers = [outcome["value"], *outcome["gradient"]]
    return repr(numbers[index]) if not isinstance(numbers[index], str) else numbers[index]


def short_number(number) -> str:
    """A tolerance in two significant digits (``8.9e-15``); strings such as ``"-"`` as they are."""
    return f"{number:.2g}" if isinstance(number, float) else str(number)


def entry_label(entry: dict) -> str:
    """A ``families`` entry's name: its unit (``smooth-log``) if it has one, else its family."""
    return entry.get("unit") or entry["family"]


def render(path: str) -> str:
    return markdown(results.read(path))


# ---------------------------------------------------------------------------------------------
# Coverage (see oracle.coverage): merged over the entries that recorded it.
# ---------------------------------------------------------------------------------------------


def campaign_coverage(data: dict) -> dict | None:
    """The coverage of every ``families`` entry that recorded it, merged; None if none did.

    Raises :class:`oracle.coverage.CoverageError` (a ValueError) for a malformed document.
    """
    documents = [entry["coverage"] for entry in data["families"] if entry.get("coverage")]
    return coverage.merge(documents) if documents else None


def tested_ops(data: dict, merged: dict) -> list[str]:
    """The ops programs were drawn from, and any other op the coverage saw, in table order."""
    ops = set(data["target"]["supported_ops"]) | set(merged["ops"])
    return [op for op in OPS if op in ops] + sorted(ops - set(OPS))


def _coverage(merged: dict, data: dict) -> list[str]:
    ops = tested_ops(data, merged)
    verdicts = verdicts_present(entry["verdicts"] for entry in merged["ops"].values())
    recorded = sum(1 for entry in data["families"] if entry.get("coverage"))
    lines = [
        "## Coverage",
        "",
        f"{merged['programs']:,} programs ({merged['steps']:,} steps) from {recorded} of "
        f"{len(data['families'])} units; cases containing each op, by the case's verdict:",
        "",
        "| op | steps | programs | " + " | ".join(verdicts) + " |",
        "|---|---:|---:|" + "---:|" * len(verdicts),
    ]
    for op in ops:
        entry = merged["ops"].get(op, {"steps": 0, "programs": 0, "verdicts": {}})
        counts = " | ".join(str(entry["verdicts"].get(v, 0)) for v in verdicts)
        lines.append(f"| {op} | {entry['steps']:,} | {entry['programs']:,} | {counts} |")
    return [*lines, "", _pairs_line(merged, ops), "", _fan_out_line(merged)]


def verdicts_present(counts) -> list[str]:
    """The verdicts with a count in any of the ``counts`` mappings (verdict -> count), in the
    order of :class:`Verdict`; verdicts this oracle does not know come last."""
    present = set()
    for verdicts in counts:
        present.update(verdict for verdict, count in verdicts.items() if count)
    known = [v.value for v in Verdict if v.value in present]
    return known + sorted(present - set(known))


def _pairs_line(merged: dict, ops: list[str]) -> str:
    missing = coverage.missing_pairs(merged, ops)
    total = (len(ops) + 1) * len(ops)
    line = (
        f"Op pairs exercised (producer -> consumer, an input counting as producer): "
        f"{total - len(missing)} of {total}."
    )
    if not missing:
        return line
    shown = ", ".join(f"{a} -> {b}" for a, b in missing[:SHOWN_MISSING_PAIRS])
    more = len(missing) - SHOWN_MISSING_PAIRS
    return f"{line} Never: {shown}" + (f" and {more} more." if more > 0 else ".")


def _fan_out_line(merged: dict) -> str:
    fan_out, programs = merged["fan_out"], merged["programs"]
    shown = fan_out["programs"]
    return (
        f"Fan-out, in programs of {programs:,}: a value read twice or more "
        f"{shown.get('fan_out', 0):,}, read by two different steps "
        f"{shown.get('shared_value', 0):,}, a self-operand such as `v * v` "
        f"{shown.get('self_operand', 0):,}, an input left unused "
        f"{shown.get('unused_input', 0):,}; at most {fan_out['most_uses']:,} reads of one "
        f"value; operands reach back up to {fan_out['longest_reach']:,} values."
    )


# ---------------------------------------------------------------------------------------------
# The CI step summary.
# ---------------------------------------------------------------------------------------------


def summary(data: dict) -> str:
    """A short GitHub-flavoured Markdown summary of one campaign, for a CI step summary
    (``$GITHUB_STEP_SUMMARY``): outcome, points per verdict per family, each bug folded."""
    check_document(data)
    lines = [
        f"### {_headline(data)}",
        "",
        _facts(data),
        "",
        *_family_table(data["families"]),
    ]
    merged = campaign_coverage(data)
    if merged is not None:
        lines += ["", _coverage_line(merged, data)]
    bugs = [(entry_label(entry), bug) for entry in data["families"] for bug in entry["bugs"]]
    for number, (label, bug) in enumerate(bugs[:SUMMARY_BUGS], start=1):
        lines += ["", *_folded_bug(f"Bug {number} ({label})", bug)]
    if len(bugs) > SUMMARY_BUGS:
        lines += ["", f"And {len(bugs) - SUMMARY_BUGS} more bugs: see the full report."]
    warnings = sum(len(entry["warnings"]) for entry in data["families"])
    if warnings:
        lines += ["", f"{warnings} warning{'s' if warnings != 1 else ''}: see the full report."]
    for table in convention_tables(data):
        lines += ["", *_summary_conventions(table)]
    unsupported = data["target"]["unsupported_ops"]
    if unsupported:
        lines += ["", "Not supported, so not tested:"]
        lines += [f"- {_code(op)}: {_html_text(clip(why))}" for op, why in unsupported.items()]
    lines += ["", f"Regenerate: {_code(regenerate_command(data))}"]
    return "\n".join(lines) + "\n"


def _headline(data: dict) -> str:
    name = _code(data["target"]["name"])
    bugs = data["bug_count"]
    if not bugs:
        return f"\N{WHITE HEAVY CHECK MARK} oracle check {name}: no target bug found"
    text = f"{bugs} target bug{'s' if bugs != 1 else ''} found"
    unexpected = data.get("unexpected_bug_count")
    if unexpected is not None and unexpected != bugs:
        text += f" ({unexpected} unexpected; the others are in the xfail file)"
    mark = "\N{CROSS MARK}" if data["exit_code"] else "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}"
    return f"{mark} oracle check {name}: {text}"


def _facts(data: dict) -> str:
    settings = data["settings"]
    points = sum(entry["points"] for entry in data["families"])
    return (
        f"Exit code {data['exit_code']} · {points:,} points in {data['seconds']:.0f} s · "
        f"seed {settings['seed']} · references {', '.join(settings['references'])} · "
        f"{_html_text(data['created'])}"
    )


def _family_table(entries: list[dict]) -> list[str]:
    """Points per verdict, one row per family (its units added up)."""
    families = _by_family(entries)
    verdicts = verdicts_present(family["verdicts"] for family in families)
    units = any(family["units"] > 1 for family in families)
    header = ["family", *(["units"] if units else []), "examples", "points", *verdicts, "seconds"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for family in families:
        counts = [_count_text(family["verdicts"].get(v, 0), v) for v in verdicts]
        cells = [
            _table_text(family["family"]),
            *([str(family["units"])] if units else []),
            f"{family['examples']:,}",
            f"{family['points']:,}",
            *counts,
            f"{family['seconds']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _by_family(entries: list[dict]) -> list[dict]:
    families: dict[str, dict] = {}
    for entry in entries:
        family = families.setdefault(
            entry["family"],
            {"family": entry["family"], "units": 0, "examples": 0, "points": 0, "seconds": 0.0},
        )
        family["units"] += 1
        family["examples"] += entry["examples"]
        family["points"] += entry["points"]
        family["seconds"] += entry["seconds"]
        verdicts = family.setdefault("verdicts", {})
        for verdict, count in entry["verdicts"].items():
            verdicts[verdict] = verdicts.get(verdict, 0) + count
    return list(families.values())


def _count_text(count: int, verdict: str) -> str:
    return f"**{count:,}**" if verdict in BUG_VERDICTS and count else f"{count:,}"


def _coverage_line(merged: dict, data: dict) -> str:
    ops = tested_ops(data, merged)
    drawn = sum(1 for op in ops if merged["ops"].get(op, {}).get("programs"))
    total = (len(ops) + 1) * len(ops)
    pairs = total - len(coverage.missing_pairs(merged, ops))
    return (
        f"Coverage: {merged['programs']:,} programs, {merged['steps']:,} steps; "
        f"{drawn} of {len(ops)} ops and {pairs} of {total} op pairs exercised."
    )


def _folded_bug(title: str, bug: dict) -> list[str]:
    title += f": {bug['verdict']}"
    if bug.get("quantity"):
        title += f" on {bug['quantity']}"
    if bug.get("id"):
        title += f" (id {bug['id']})"
    if bug.get("expected_by") is not None:
        title += f", expected by xfail line {bug['expected_by']}"
    return [
        "<details>",
        f"<summary>{_html_text(title)}</summary>",
        "",
        _html_text(bug["explanation"]),
        "",
        *_program(bug, shrunk=True),
        "",
        *_table(bug),
        "",
        "</details>",
    ]


def _html_text(text) -> str:
    """Text from the result document, safe where GitHub renders Markdown and HTML."""
    return html.escape(str(text), quote=False)


def _code(text: str) -> str:
    """``text`` as a Markdown code span, fenced by more backticks than it contains."""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def clip(text: str, most: int = 160) -> str:
    """``text`` cut to ``most`` characters, an ellipsis marking the cut."""
    return text if len(text) <= most else text[: most - 1] + "\N{HORIZONTAL ELLIPSIS}"


# ---------------------------------------------------------------------------------------------
# Conventions at kinks (edge units; see oracle.conventions): the target's observed profile.
# ---------------------------------------------------------------------------------------------

CONVENTIONS_INTRO = (
    "The target once at each special point of its ops, beside torch's and jax's answers as "
    "declared in `oracle/conventions.py` (tests check them against the installed libraries) "
    "and the one-sided interval from the ground truth. Inside the interval an answer is a "
    "convention, not a bug; outside it, a bug (failing the run only with `--strict`, like every "
    "edge finding). The oracle has no max op, so max ties have no row."
)


def convention_tables(data: dict) -> list[dict]:
    """One table per edge unit that recorded one: its rows as text cells, and the drawn cases'
    convention counts (label, points), for the Markdown and HTML reports alike."""
    tables = []
    for entry in data["families"]:
        conventions = entry.get("conventions")
        if conventions is None:
            continue
        rows = [
            {
                "label": row["label"],
                "program": _return_expression(row["program_python"]),
                "point": ", ".join(f"x{i} = {_answer_text(x)}" for i, x in enumerate(row["point"])),
                "target": _answer_text(row["target"]),
                "torch": _answer_text(row["torch"]),
                "jax": _answer_text(row["jax"]),
                "interval": row["interval_text"],
                "verdict": row["verdict"],
                "bug": row["bug"],
                "why": row.get("why", ""),
            }
            for row in conventions["rows"]
        ]
        tables.append(
            {"unit": entry_label(entry), "rows": rows, "drawn": list(conventions["drawn"].items())}
        )
    return tables


def convention_profile(table: dict) -> tuple[str, list[dict]]:
    """An edge unit's convention table in a sentence (how many special points follow both
    torch and jax), and the rows that do not: what a short summary shows."""
    rows = table["rows"]
    differing = [row for row in rows if row["verdict"] != "follows both"]
    sentence = (
        f"conventions at kinks ({table['unit']}): {len(rows) - len(differing)} of {len(rows)} "
        "special points follow both torch and jax"
    )
    return sentence, differing


def _summary_conventions(table: dict) -> list[str]:
    sentence, differing = convention_profile(table)
    lines = [f"{sentence[0].upper()}{sentence[1:]}."]
    for row in differing:
        verdict = f"**{row['verdict']}**" if row["bug"] else row["verdict"]
        lines.append(
            f"- {_code(row['label'])}: target {row['target']}, torch {row['torch']}, "
            f"jax {row['jax']}: {verdict}"
        )
    return lines


def _return_expression(source: str) -> str:
    """``abs(x0)`` from ``def f(x0):\n    return abs(x0)``."""
    return source.strip().splitlines()[-1].strip().removeprefix("return ")


def _answer_text(answer) -> str:
    return repr(float(answer)) if isinstance(answer, (int, float)) else str(answer)


def _conventions(table: dict) -> list[str]:
    lines = [
        f"## Conventions at kinks and special points ({table['unit']})",
        "",
        CONVENTIONS_INTRO,
        "",
        "| special point | program | target | torch | jax | one-sided interval | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table["rows"]:
        verdict = f"**{row['verdict']}**" if row["bug"] else row["verdict"]
        program = f"{_code(row['program'])} at {row['point']}"
        cells = [row["label"], program, row["target"], row["torch"], row["jax"]]
        cells += [row["interval"], verdict]
        lines.append("| " + " | ".join(_table_text(cell) for cell in cells) + " |")
    explained = [row for row in table["rows"] if row["why"] and row["verdict"] != "follows both"]
    if explained:
        lines += ["", "Where the engines' answers come from, at the rows that differ:", ""]
        lines += [f"- {row['label']}: {row['why']}." for row in explained]
    if table["drawn"]:
        lines += [
            "",
            "Drawn cases at a kink, inside the interval, where the target's gradient differs "
            "from torch's or jax's (points):",
            "",
        ]
        lines += [f"- {_table_text(label)}: {count}" for label, count in table["drawn"]]
    return lines


# ---------------------------------------------------------------------------------------------
# Forward mode and second order (jvp and hessian units; see oracle.higher_order).
# ---------------------------------------------------------------------------------------------

HIGHER_ORDER_POLICY = (
    "How these units judge (see `oracle/higher_order.py`): the value and J v by the exact "
    "analysis' first-order error bounds (J v gets twice the gradient bound projected on |v|); "
    "forward vs reverse, the target's J v against its own reverse-mode gradient projected on "
    "v (`<v, J^T u> = <J v, u>` with one output and u = 1), within both tolerances and the "
    "dot product's rounding; each Hessian entry at a relative 1e-8 of the larger of itself "
    "and a thousandth of the largest entry, plus 32 u per step of the entry's terms summed "
    "in absolute values, plus the ground truth's error estimate. The ground truth (mpmath: "
    "differences of the exact program) anchors the consensus; torch and jax must back it, "
    "else the case is *references disagree*; near a kink or where rounding moves a slope, a "
    "mismatch is *ill-conditioned*, not a bug."
)


def higher_order_section(data: dict) -> list[str]:
    """The jvp and hessian units' section: what each checked, or why the target could not."""
    entries = [e for e in data["families"] if e["family"] in ("jvp", "hessian")]
    if not entries:
        return []
    lines = ["", "## Forward mode and second order", "", HIGHER_ORDER_POLICY, ""]
    for entry in entries:
        label = entry_label(entry)
        if entry.get("not_applicable"):
            lines.append(f"- {label}: not applicable: {entry['not_applicable']}")
            continue
        verdicts = ", ".join(f"{verdict} {count}" for verdict, count in entry["verdicts"].items())
        lines.append(
            f"- {label}: {entry['examples']} programs, {entry['points']} points ({verdicts})"
        )
    return lines


def higher_order_engines(case: dict) -> list[str]:
    """The engines of a jvp or hessian case's quantity rows: the target, then the references."""
    rows = case["quantities"]
    return [key for key in rows[0] if key not in ("quantity", "tolerance")] if rows else []


def higher_order_table(case: dict) -> list[str]:
    """A jvp or hessian case's table: per quantity, the target's number, each reference's and
    the tolerance (for the jvp unit, after the direction it was taken along)."""
    rows = case["quantities"]
    engines = higher_order_engines(case)
    lines = []
    if "direction" in case:
        direction = ", ".join(repr(v) for v in case["direction"])
        lines += [f"Direction v = ({direction}).", ""]
    lines += [
        "| | " + " | ".join(engines) + " | tolerance |",
        "|---|" + "---|" * (len(engines) + 1),
    ]
    for row in rows:
        cells = ["-" if row.get(e) is None else _table_text(str(row[e])) for e in engines]
        tolerance = "-" if row["tolerance"] is None else short_number(row["tolerance"])
        quantity = _table_text(row["quantity"])
        lines.append(f"| {quantity} | " + " | ".join(cells) + f" | {tolerance} |")
    return lines
