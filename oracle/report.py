"""A Markdown report from a result file: ``oracle report FILE.json [-o FILE.md]``.

The report is made from the JSON alone (never by re-running), so a committed result file and
its report always agree, and CI can render the report of a campaign it archived.
"""

from __future__ import annotations

from oracle import results
from oracle.compare import Verdict
from oracle.program import abridge

SHOWN_LINES = 16


def markdown(data: dict) -> str:
    """The report of one campaign, as Markdown."""
    target = data["target"]
    settings = data["settings"]
    lines = [
        f"# oracle check {target['name']}",
        "",
        f"{_outcome(data)} Made {data['created']} with Python {data['python']} on "
        f"{data['platform']}; {_versions(data['versions'])}.",
        "",
        f"- Regenerate: `{_command(data)}`",
        f"- Families: {', '.join(settings['families'])}; examples per family: "
        + ", ".join(f"{f} {n}" for f, n in settings["max_examples"].items())
        + f"; seed {settings['seed']}; references: {', '.join(settings['references'])}.",
        f"- Ops tested: {' '.join(target['supported_ops'])}.",
    ]
    if target["unsupported_ops"]:
        lines.append(f"- Not supported, so not tested: {', '.join(target['unsupported_ops'])}.")
    lines += ["", *_verdict_table(data["families"]), "", *_throughput(data["throughput"])]
    for family in data["families"]:
        for note in family["notes"]:
            lines += ["", f"Note ({family['family']}): {note}"]
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


def _command(data: dict) -> str:
    settings = data["settings"]
    parts = [
        f"oracle check {data['target']['name']}",
        f"--families {','.join(settings['families'])}",
        f"--seed {settings['seed']}",
        f"--references {','.join(settings['references'])}",
    ]
    counts = set(settings["max_examples"].values())
    if len(counts) == 1:
        parts.append(f"--max-examples {counts.pop()}")
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
            f"| {f['family']} | {f['examples']} | {f['points']} | {counts} | {f['seconds']:.1f} |"
        )
    return lines


def _throughput(throughput: dict) -> list[str]:
    lines = ["| engine | points | seconds | points per second |", "|---|---:|---:|---:|"]
    for name, rate in throughput.items():
        per_second = f"{rate['points_per_second']:,.0f}"
        lines.append(f"| {name} | {rate['points']} | {rate['seconds']:.3f} | {per_second} |")
    return lines


def _case(title: str, case: dict) -> list[str]:
    program = abridge(case["program_python"], SHOWN_LINES)
    names = [f"x{i}" for i in range(len(case["point"]))]
    inputs = ", ".join(f"{n} = {x!r}" for n, x in zip(names, case["point"], strict=True))
    engines = {"target": case["target"], **case["references"]}
    rows = ["value", *(f"d/d{n}" for n in names)]
    table = [
        "| | " + " | ".join(engines) + " | tolerance |",
        "|---|" + "---|" * (len(engines) + 1),
    ]
    for index, row in enumerate(rows):
        cells = [_number(outcome, index) for outcome in engines.values()]
        tolerance = case["tolerance"][row] if case["tolerance"] else "-"
        table.append(f"| {row} | " + " | ".join(cells) + f" | {_short(tolerance)} |")
    return [
        f"## {title} ({case['family']}): {case['verdict']}",
        "",
        case["explanation"],
        "",
        f"{'Program, as drawn' if title == 'Warning' else 'Minimal program'} "
        f"({case['steps']} steps), at {inputs}:",
        "",
        "```python",
        program,
        "```",
        "",
        *table,
    ]


def _number(outcome: dict, index: int) -> str:
    if "error" in outcome:
        if index:
            return ""
        if outcome["error"].startswith("no ground truth"):
            return "n/a"
        return f"raised {outcome['error'].split(':')[0]}"
    numbers = [outcome["value"], *outcome["gradient"]]
    return repr(numbers[index]) if not isinstance(numbers[index], str) else numbers[index]


def _short(number) -> str:
    return f"{number:.2g}" if isinstance(number, float) else str(number)


def render(path: str) -> str:
    return markdown(results.read(path))
