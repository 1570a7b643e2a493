"""What ``oracle passes`` prints and writes: a per-configuration table, and the Markdown report.

Both are rendered from the result document of :func:`oracle.passes_check.to_json`, so the
report written with ``--report`` and the one a saved ``--json`` file would give are the same.
"""

from __future__ import annotations

import datetime

from oracle.passes_check import IDENTITIES, IDENTITY_OPS, REGENERATE

RULE = (
    "IEEE bit equality of every output (value, guards, gradient) at every point; two nans "
    "match whatever their sign and payload (IEEE 754 section 6.3 leaves those unspecified for "
    "arithmetic, and refgrad's pass contract allows it: `(-x) + y -> y - x` at a nan `x` "
    "gives `y - nan`, which keeps the sign `-nan + y` had flipped), counted under *nan bits*; "
    "a zero whose sign flips is a difference. No pass reorders floating point (none "
    "reassociates, CSE keeps operand order), so no configuration gets a tolerance."
)


def table(data: dict) -> str:
    """The per-configuration table for the console, summed over the families."""
    modes = data["settings"]["modes"]
    header = ["configuration", "programs", "changed", "nodes before -> after"]
    header += [f"same bits ({mode})" for mode in modes] + ["differences"]
    rows = [header]
    for configuration in data["configurations"]:
        tallies = list(configuration["families"].values())
        rows.append([configuration["name"], *_cells(_summed(tallies), modes)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


def _summed(tallies: list[dict]) -> dict:
    """One family-like tally adding up ``tallies``."""
    total = {
        "programs": 0,
        "changed": [],
        "differences": [],
        "identical": {},
        "nan_bits_differ": {},
    }
    for tally in tallies:
        total["programs"] += tally["programs"]
        total["changed"] += tally["changed"]
        total["differences"] += tally["differences"]
        for key in ("identical", "nan_bits_differ"):
            for mode, count in tally[key].items():
                total[key][mode] = total[key].get(mode, 0) + count
    return total


def _cells(tally: dict, modes: list[str]) -> list[str]:
    before = sum(entry[1] for entry in tally["changed"])
    after = sum(entry[2] for entry in tally["changed"])
    nodes = f"{before:,} -> {after:,}" if tally["changed"] else "-"
    return [
        f"{tally['programs']:,}",
        f"{len(tally['changed']):,}",
        nodes,
        *(_same_bits(tally, mode) for mode in modes),
        f"{len(tally['differences'])}",
    ]


def _same_bits(tally: dict, mode: str) -> str:
    """``"96"``, or ``"92 + 4 nan"``: programs identical, and those equal but for nan bits."""
    identical = f"{tally['identical'].get(mode, 0):,}"
    nan_bits = tally["nan_bits_differ"].get(mode, 0)
    return f"{identical} + {nan_bits:,} nan" if nan_bits else identical


def verdict(data: dict) -> str:
    """One line: did any configuration change a result, did any campaign find a bug."""
    changed = data["changed_results"]
    if changed:
        plural = "s" if len(changed) != 1 else ""
        line = f"{len(changed)} configuration{plural} changed results: {', '.join(changed)}"
    else:
        line = "no configuration changed a result"
    if data["campaign_bugs"]:
        line += f"; {data['campaign_bugs']} target bugs against the references"
    return line


# --- the Markdown report -----------------------------------------------------------------------


def markdown(data: dict) -> str:
    sections = [
        _heading(data),
        _per_configuration(data),
        _realisation(data),
        _campaigns(data),
        _differences(data),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _heading(data: dict) -> str:
    settings = data["settings"]
    day = datetime.datetime.fromisoformat(data["created"]).date().isoformat()
    return "\n\n".join(
        [
            "# Translation validation of refgrad's passes",
            f"Regenerate: `{REGENERATE}`. Measured {day} on {data['machine']}, Python "
            f"{data['python']}; {data['seconds']:.0f} s in all.",
            f"{settings['max_examples']} programs per family, seed {settings['seed']}: "
            f"{_families(settings)}. For each program and configuration, the graph the "
            "configuration gets (*before*) and the graph it returns (*after*) run in the "
            f"engines of the modes {', '.join(settings['modes'])} at the case's points. How "
            "each configuration is realised, and why `cse` and `dce` alone change nothing, is "
            "below the table.",
            _outcome(data),
            f"Rule: {RULE}",
        ]
    )


def _outcome(data: dict) -> str:
    changed = data["changed_results"]
    text = (
        f"**{len(changed)} configuration{'s' if len(changed) != 1 else ''} changed results**: "
        f"{', '.join(changed)} (see *Differences*)."
        if changed
        else "**No configuration changed a result**: on every program, each configuration's "
        "output graph gave its input graph's outputs at every point in every mode, bit for bit "
        "but for nan signs and payloads (the rule below)."
    )
    if data["campaign_bugs"]:
        text += f" **{data['campaign_bugs']} target bugs** against the references (see below)."
    return text


def _families(settings: dict) -> str:
    """What the families are, in a sentence."""
    ops = "every op" if settings["ops"] is None else "ops " + ", ".join(settings["ops"])
    oracle_families = [family for family in settings["families"] if family != IDENTITIES]
    parts = []
    if oracle_families:
        parts.append(f"{', '.join(oracle_families)} from the oracle's strategies over {ops}")
    if IDENTITIES in settings["families"]:
        identity_ops = ", ".join(settings["ops"] or IDENTITY_OPS)
        parts.append(
            "identities (`oracle.passes_check.identity_cases`: constants the rewrites look "
            "for, every special input, every value an output) over the ops with rewrites, "
            f"{identity_ops}"
        )
    return "; ".join(parts)


def _per_configuration(data: dict) -> str:
    modes = data["settings"]["modes"]
    header = ["configuration", "family", "programs", "changed", "nodes before → after"]
    header += [f"same bits ({mode})" for mode in modes] + ["differences"]
    lines = [
        "## Per configuration",
        "",
        "*changed*: programs whose graph after differs from the graph before; *nodes*: summed "
        "over those programs; *same bits*: programs with every output bit for bit equal, "
        '"+ k nan" the programs equal but for nan signs or payloads; *differences*: modes '
        "where some output differed.",
        "",
        _row(header),
        _row(["---", "---", *["---:"] * (len(header) - 2)]),
    ]
    for configuration in data["configurations"]:
        for family, tally in configuration["families"].items():
            cells = _cells(tally, modes)
            lines.append(_row([configuration["name"], family, *cells]).replace(" -> ", " → "))
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _realisation(data: dict) -> str:
    lines = [
        "## How each configuration is realised",
        "",
        "*Before* is the unoptimised gradient graph unless said otherwise: the program traced "
        "as the modes trace a function, then `reverse` into a plain `GraphBuilder` with no "
        "pass, which is `value_and_grad(f, mode=..., passes=())`'s graph. *After* is then "
        "built by `refgrad.modes.gradient_graph(traced, passes)`, the call "
        "`value_and_grad(f, mode=..., passes=...)` makes. The plain builder interns (it "
        "shares identical nodes as it makes them; `Graph.verify` requires it), so CSE finds "
        "nothing to merge in it, and it has no dead nodes for DCE: the last two rows give "
        "those passes the input they work on.",
        "",
        _row(["configuration", "`passes=`", "what runs"]),
        _row(["---", "---", "---"]),
    ]
    for configuration in [data["baseline"], *data["configurations"]]:
        passes = configuration["passes"]
        written = "None" if passes is None else repr(tuple(passes))
        lines.append(_row([configuration["name"], f"`{written}`", configuration["how"]]))
    return "\n".join(lines)


def _campaigns(data: dict) -> str:
    runs = [
        (configuration["name"], mode, run)
        for configuration in [data["baseline"], *data["configurations"]]
        for mode, run in configuration["campaign"].items()
    ]
    if not runs:
        return ""
    settings = data["settings"]
    lines = [
        "## Against the references",
        "",
        f"A normal campaign per configuration and mode: {settings['campaign_examples']} smooth "
        f"cases each (the same, seed {settings['seed']}), references "
        f"{', '.join(settings['references'])}, through the target `refgrad-MODE[passes=...]` "
        "(`oracle check` accepts the same names).",
        "",
        _row(["configuration", "target", "cases", "verdicts (points)", "target bugs"]),
        _row(["---", "---", "---:", "---", "---:"]),
    ]
    for name, _, run in runs:
        verdicts = ", ".join(f"{kind} {count}" for kind, count in run["verdicts"].items())
        cells = [name, f"`{run['target']}`", str(run["cases"]), verdicts, str(len(run["bugs"]))]
        lines.append(_row(cells))
    for _, _, run in runs:
        for bug in run["bugs"]:
            lines += ["", f"**{run['target']}**: {bug['verdict']}: {bug['explanation']}"]
            lines += ["", "```python", bug["program_python"], "```", f"at {bug['point']}"]
    return "\n".join(lines)


def _differences(data: dict) -> str:
    found = [
        (configuration["name"], family, difference)
        for configuration in data["configurations"]
        for family, tally in configuration["families"].items()
        for difference in tally["differences"]
    ]
    if not found:
        return "## Differences\n\nNone."
    lines = ["## Differences"]
    for name, family, difference in found:
        state = "minimal program" if difference["shrunk"] else "first program (not shrunk)"
        lines += [
            "",
            f"### {name}, {difference['mode']} mode ({family})",
            "",
            f"{state}, at {difference['point']}:",
            "",
            "```python",
            difference["program_python"],
            "```",
            "",
            "Outputs (value, guards, gradient):",
            "",
            f"- before: {_result(difference['baseline'])}",
            f"- after: {_result(difference['configured'])}",
            "",
            "```python",
            "# before",
            difference["graph_before"],
            "# after",
            difference["graph_after"],
            "```",
        ]
    return "\n".join(lines)


def _result(result: dict) -> str:
    if "error" in result:
        return f"raised {result['error']}"
    return ", ".join(result["outputs"])
