"""How well the oracle kills the quality corpus: run it, and write the kill report.

Every engine of :mod:`tests.quality.catalog` is checked exactly as ``oracle check
path/to/engine.py:Value`` checks it, with the default settings (seed 0, the smooth and deep
families, every installed reference), stopping at the first family that finds a bug. A buggy
engine is *killed* when the campaign reports a bug; a correct engine must get none.

``python -m tests.quality.kill`` runs the whole corpus (two engines at a time, in separate
processes) and writes ``reports/quality/summary.md`` and ``reports/quality/kills.json``:
kill rate, examples needed to find each bug, and the size of each counterexample.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from oracle import references, targets
from oracle.program import abridge
from oracle.runner import Campaign, Settings
from tests.quality import catalog

REPORT = Path(__file__).parents[2] / "reports" / "quality"


@dataclass(frozen=True)
class Kill:
    engine: str
    kind: str
    expected: str
    killed: bool  # the campaign reported at least one bug
    family: str | None  # where the first bug was found
    verdict: str | None
    examples: int | None  # examples drawn in that family up to the first bug
    steps: int | None  # size of the shrunk counterexample
    depth: int | None
    counterexample: str | None  # the minimal program as Python (first lines, if long)
    explanation: str | None
    seconds: float

    @property
    def as_expected(self) -> bool:
        return self.killed == (self.expected == "bug")


def check_engine(engine: catalog.Engine) -> Kill:
    target = targets.load(f"{engine.path}:Value")
    settings = Settings(references=tuple(references.available()), exit_first=True)
    result = Campaign(target, settings).run()
    bugged = [unit for unit in result.units if unit.bugs]
    if not bugged:
        seconds = round(result.seconds, 1)
        return Kill(engine.name, engine.kind, engine.expected, False, *[None] * 7, seconds)
    family = bugged[0]
    bug = min(family.bugs, key=lambda b: len(b.case.program))
    program = bug.case.program
    return Kill(
        engine.name,
        engine.kind,
        engine.expected,
        True,
        family.family,
        str(bug.verdict),
        family.examples_to_first_bug,
        len(program),
        program.depth(),
        abridge(program.to_python(), 8),
        bug.judgement.explanation,
        round(result.seconds, 1),
    )


def markdown(kills: list[Kill]) -> str:
    buggy = [k for k in kills if k.expected == "bug"]
    correct = [k for k in kills if k.expected == "correct"]
    killed = [k for k in buggy if k.killed]
    false_alarms = [k for k in correct if k.killed]
    lines = [
        "# The oracle against its quality corpus",
        "",
        f"Made {datetime.date.today().isoformat()} on {platform.machine()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, by "
        "`python -m tests.quality.kill` (default `oracle check` settings: seed 0, families "
        f"smooth and deep, references {', '.join(references.available())}; stop at the first "
        "family with a bug).",
        "",
        f"- Kill rate: **{len(killed)}/{len(buggy)}** engines with a planted bug were caught.",
        f"- False alarms: **{len(false_alarms)}/{len(correct)}** correct engines were flagged.",
        "",
        "| engine | kind | killed | verdict | family | examples to find | "
        "counterexample steps (depth) | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in kills:
        size = f"{k.steps} ({k.depth})" if k.steps is not None else "-"
        lines.append(
            f"| {k.engine} | {k.kind} | {'yes' if k.killed else 'no'} | {k.verdict or '-'} | "
            f"{k.family or '-'} | {k.examples if k.examples is not None else '-'} | {size} | "
            f"{k.seconds} |"
        )
    lines += ["", "## Counterexamples", ""]
    for k in killed:
        lines += [f"**{k.engine}** ({k.verdict}): {k.explanation}", "", "```python"]
        lines += [k.counterexample, "```", ""]
    return "\n".join(lines)


def main() -> int:
    with ProcessPoolExecutor(max_workers=2) as pool:
        kills = list(pool.map(check_engine, catalog.ENGINES))
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "kills.json").write_text(json.dumps([asdict(k) for k in kills], indent=2) + "\n")
    (REPORT / "summary.md").write_text(markdown(kills) + "\n")
    wrong = [k.engine for k in kills if not k.as_expected]
    print(markdown(kills))
    if wrong:
        print(f"\nnot as expected: {', '.join(wrong)}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
