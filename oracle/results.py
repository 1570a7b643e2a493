"""The result file written by ``oracle check --json FILE``: a versioned JSON document.

Format ``refgrad-oracle-result``, version 1. Top-level keys:

``format``, ``version``
    Identify the document; readers must check both.
``created``, ``python``, ``platform``, ``versions``
    When and where it ran, and the versions of refgrad and of every library involved.
``target``
    ``name``, ``supported_ops`` (the ops programs were drawn from) and ``unsupported_ops``
    (op -> why the probe failed).
``settings``
    ``families``, ``max_examples`` (per family), ``seed``, ``references``, ``ops``,
    ``strict``, ``time_limit``, ``shrink_seconds`` and ``exit_first``: enough to rerun the
    same campaign.
``families``
    One entry per family: ``examples`` (cases drawn; up to the first bug), ``points``
    (cases x points), ``verdicts`` (verdict -> number of points), ``examples_to_first_bug``,
    ``shrink_calls``, ``seconds``, ``notes``, ``bugs``, ``warnings`` and ``notable`` (up to
    three cases per verdict that is neither agreement nor a bug; see below).
``throughput``
    Engine (the target, each reference, the exact analysis) -> ``points``, ``seconds`` and
    ``points_per_second``.
``bug_count``, ``exit_code``, ``seconds``
    The campaign's outcome. With an xfail file (``--xfail``), each bug also has
    ``expected_by`` (the matching line, or null) and the document ``unexpected_bug_count``;
    the exit code counts only unexpected bugs.

Each bug or warning records its ``id`` (stable for the same minimal program; see
:mod:`oracle.expected`), the ``verdict``, its ``explanation``, the ``quantity`` it was found
on (``value`` or ``d/dx<i>``), the ``program`` (the IR as JSON, see
:meth:`oracle.program.Program.to_json`, and as Python in ``program_python``), its ``steps``, the
``point`` (inputs) where it shows, and what the ``target`` and each of the ``references``
returned there (``value``, ``gradient`` and, when present, ``error``, error estimates and
one-sided derivatives), plus the ``tolerance`` per quantity. Strict JSON has no nan or inf:
non-finite numbers are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from oracle.compare import SAFETY, quantity_names
from oracle.expected import bug_id
from oracle.outcome import json_float
from oracle.runner import CampaignResult, CaseResult, FamilyResult

FORMAT = "refgrad-oracle-result"
VERSION = 1
LIBRARIES = ("refgrad", "hypothesis", "mpmath", "numpy", "torch", "jax", "rich")


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def case_to_json(result: CaseResult) -> dict:
    point = result.worst_point
    judgement = result.judgement
    analysis = result.analyses[point]
    program = result.case.program
    tolerance = None
    if analysis is not None:
        bounds = analysis.bounds
        tolerance = dict(
            zip(
                quantity_names(program.n_inputs),
                (json_float(SAFETY * b) for b in bounds),
                strict=True,
            )
        )
    return {
        "id": bug_id(result.case.family, judgement.verdict.value, program.to_json()),
        "verdict": judgement.verdict.value,
        "explanation": judgement.explanation,
        "quantity": judgement.quantity,
        "notes": list(judgement.notes),
        "family": result.case.family,
        "program": program.to_json(),
        "program_python": program.to_python(),
        "steps": len(program),
        "point": list(result.case.points[point]),
        "target": result.target[point].to_json(),
        "references": {
            name: outcomes[point].to_json() for name, outcomes in result.references.items()
        },
        "tolerance": tolerance,
        "ill_conditioned": analysis.ill_conditioned if analysis is not None else None,
    }


def family_to_json(family: FamilyResult) -> dict:
    return {
        "family": family.family,
        "examples": family.examples,
        "points": family.points,
        "verdicts": {verdict.value: count for verdict, count in sorted(family.counts.items())},
        "examples_to_first_bug": family.examples_to_first_bug,
        "shrink_calls": family.shrink_calls,
        "seconds": round(family.seconds, 3),
        "notes": list(family.notes),
        "bugs": [case_to_json(bug) for bug in family.bugs],
        "warnings": [case_to_json(warning) for warning in family.warnings],
        "notable": {
            verdict.value: [case_to_json(case) for case in cases]
            for verdict, cases in family.notable.items()
        },
    }


def to_json(result: CampaignResult) -> dict:
    settings = result.settings
    timing = result.timing
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": library_versions(),
        "target": {
            "name": result.target,
            "supported_ops": list(result.supported_ops),
            "unsupported_ops": result.unsupported_ops,
        },
        "settings": {
            "families": list(settings.families),
            "max_examples": {family: settings.examples(family) for family in settings.families},
            "seed": settings.seed,
            "references": list(result.references),
            "ops": list(result.supported_ops),
            "strict": settings.strict,
            "time_limit": settings.time_limit,
            "shrink_seconds": settings.shrink_seconds,
            "exit_first": settings.exit_first,
        },
        "families": [family_to_json(family) for family in result.families],
        "throughput": {
            name: {
                "points": timing.points[name],
                "seconds": round(timing.seconds[name], 4),
                "points_per_second": round(rate, 1),
            }
            for name, rate in timing.throughput().items()
        },
        "bug_count": len(result.bugs),
        "exit_code": result.exit_code,
        "seconds": round(result.seconds, 3),
    }


def write(data: dict, path: str | Path) -> None:
    """Write a result document made by :func:`to_json`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")


def read(path: str | Path) -> dict:
    """Load a result file, checking its format and version."""
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not an oracle result file (format {data.get('format')!r})")
    if data.get("version") != VERSION:
        raise ValueError(f"{path} has version {data.get('version')!r}; this oracle reads {VERSION}")
    return data
