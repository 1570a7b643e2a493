"""Expected failures: an xfail file lets a project adopt the oracle before fixing everything.

One entry per line (``#`` starts a comment):

* ``FAMILY:OP`` or ``FAMILY:OP:VERDICT``: a bug found in ``FAMILY`` whose minimal program uses
  ``OP`` (and, if given, has that verdict) is expected. ``*`` matches anything:
  ``deep:*:exception divergence`` expects any crash on deep graphs, ``smooth:tanh`` any bug in
  a smooth program with a ``tanh``.
* ``id:BUGID``: the bug with that id (printed with every bug: a hash of its family, verdict
  and minimal program, so it stays the same from run to run for the same seed).

Expected bugs are reported as such and do not fail the run; an entry that matched no bug is
reported too (a warning), so that entries go once their bug is fixed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from oracle.ops import OPS
from oracle.strategies import FAMILIES


class ExpectedFileError(ValueError):
    """A line of the xfail file is not an entry the oracle understands."""


def bug_id(family: str, verdict: str, program_json: dict) -> str:
    """A short stable id for a bug: its family, verdict and minimal program."""
    text = json.dumps([family, verdict, program_json], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    line: int
    text: str
    family: str = "*"
    op: str = "*"
    verdict: str = "*"
    id: str | None = None

    def matches(self, bug: dict) -> bool:
        if self.id is not None:
            return bug["id"] == self.id
        ops = {step[0] for step in bug["program"]["steps"]}
        return (
            self.family in ("*", bug["family"])
            and (self.op == "*" or self.op in ops)
            and self.verdict in ("*", bug["verdict"])
        )


def parse(text: str, source: str = "xfail file") -> list[Entry]:
    from oracle.compare import Verdict

    verdicts = {verdict.value for verdict in Verdict}
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("id:"):
            entries.append(Entry(number, line, id=line.removeprefix("id:").strip()))
            continue
        parts = [part.strip() for part in line.split(":")]
        if not 2 <= len(parts) <= 3:
            raise ExpectedFileError(f"{source}:{number}: expected FAMILY:OP[:VERDICT], got {raw!r}")
        family, op, verdict = (*parts, "*")[:3]
        for value, allowed, what in (
            (family, FAMILIES, "family"),
            (op, tuple(OPS), "op"),
            (verdict, verdicts, "verdict"),
        ):
            if value != "*" and value not in allowed:
                raise ExpectedFileError(f"{source}:{number}: unknown {what} {value!r}")
        entries.append(Entry(number, line, family, op, verdict))
    return entries


def load(path: str | Path) -> list[Entry]:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ExpectedFileError(f"cannot read the xfail file {path}: {error}") from error
    return parse(text, str(path))


def apply(data: dict, entries: list[Entry]) -> list[Entry]:
    """Mark each bug of the result document ``data`` expected (``"expected_by"``, the entry's
    line) or not; return the entries that matched no bug. Updates the exit code."""
    used = set()
    unexpected = 0
    for family in data["families"]:
        for bug in family["bugs"]:
            entry = next((e for e in entries if e.matches(bug)), None)
            bug["expected_by"] = None if entry is None else entry.line
            if entry is None:
                unexpected += 1
            else:
                used.add(entry.line)
    data["unexpected_bug_count"] = unexpected
    data["exit_code"] = 1 if unexpected else 0
    return [entry for entry in entries if entry.line not in used]
