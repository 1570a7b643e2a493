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
    ``families``, ``max_examples`` (unit name -> examples), ``seed``, ``references``, ``ops``,
    ``strict``, ``time_limit``, ``shrink_seconds``, ``exit_first``, ``per_op``, ``shard``
    (``[i, n]`` or null), ``order`` and ``modes`` (additions to version 1, absent from older
    files, which ran order 1 in reverse mode): enough to rerun the same campaign.
``families``
    One entry per unit of the campaign (a family, or a family focused on one op; see
    :class:`oracle.runner.Unit`): ``family``, ``unit`` (``smooth``, ``smooth-log``,
    ``stateful-zero_grad``), ``focus`` (the op, or null), ``property`` (the stateful property,
    or null), ``not_applicable`` (why the target cannot run the unit, or null; it did not
    run), ``examples`` (cases drawn; up to the first bug), ``points``
    (cases x points), ``verdicts`` (verdict -> number of points), ``examples_to_first_bug``,
    ``shrink_calls``, ``seconds``, ``notes``, ``bugs``, ``warnings``, ``notable`` (up to
    three cases per verdict that is neither agreement nor a bug; see below),
    ``throughput`` (engine -> ``points`` and ``seconds`` in this unit) and ``coverage``
    (what the drawn programs exercised: ops, op pairs, constants, fan-out; see
    :mod:`oracle.coverage`). Edge units add ``conventions`` (an addition to version 1,
    absent from older files): ``rows``, the target's answer at each special point of the
    unit's ops next to torch's and jax's declared answers, the one-sided ``interval`` and the
    ``verdict``; ``drawn``, points of drawn cases per convention the target took at a kink
    where torch or jax differ; see :mod:`oracle.conventions`.
``throughput``
    Engine (the target, each reference, the exact analysis) -> ``points``, ``seconds`` and
    ``points_per_second``, summed over the units.
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
one-sided derivatives), plus the ``tolerance`` per quantity. A case of the stateful family
adds its ``property``, ``scenario`` and ``calls``, the reading after each step of the scenario
(see :func:`oracle.stateful.case_to_json`). A case of the ``jvp`` or ``hessian`` unit adds
``quantities``, a row per quantity with every engine's number and the tolerance, and, for
``jvp``, the ``direction`` (see :func:`oracle.higher_order.case_to_json`). Strict JSON has no
nan or inf: non-finite numbers are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

from oracle import higher_order
from oracle.compare import SAFETY, quantity_names
from oracle.conventions import table_to_json
from oracle.expected import bug_id
from oracle.higher_order import HigherOrderResult
from oracle.outcome import json_float
from oracle.runner import CampaignResult, CaseResult, Settings, Timing, UnitResult
from oracle.stateful import StatefulResult
from oracle.stateful import case_to_json as stateful_case_to_json

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


def case_to_json(result: CaseResult | StatefulResult | HigherOrderResult) -> dict:
    if isinstance(result, StatefulResult):
        return stateful_case_to_json(result)
    if isinstance(result, HigherOrderResult):
        return higher_order.case_to_json(result)
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
        "point": [json_float(x) for x in result.case.points[point]],
        "target": result.target[point].to_json(),
        "references": {
            name: outcomes[point].to_json() for name, outcomes in result.references.items()
        },
        "tolerance": tolerance,
        "ill_conditioned": analysis.ill_conditioned if analysis is not None else None,
    }


def unit_to_json(unit: UnitResult) -> dict:
    return {
        "family": unit.unit.family,
        "unit": unit.unit.name,
        "focus": unit.unit.focus,
        "property": unit.unit.property_name,
        "not_applicable": unit.not_applicable,
        "examples": unit.examples,
        "points": unit.points,
        "verdicts": {verdict.value: count for verdict, count in sorted(unit.counts.items())},
        "examples_to_first_bug": unit.examples_to_first_bug,
        "shrink_calls": unit.shrink_calls,
        "seconds": round(unit.seconds, 3),
        "notes": list(unit.notes),
        "bugs": [case_to_json(bug) for bug in unit.bugs],
        "warnings": [case_to_json(warning) for warning in unit.warnings],
        "notable": {
            verdict.value: [case_to_json(case) for case in cases]
            for verdict, cases in unit.notable.items()
        },
        "throughput": _timing_to_json(unit.timing),
        "coverage": unit.coverage.to_json(),
        **_conventions_to_json(unit),
    }


def _conventions_to_json(unit: UnitResult) -> dict:
    """Edge units only: the ``conventions`` entry (see :func:`oracle.conventions.table_to_json`)."""
    if unit.convention_table is None:
        return {}
    return {"conventions": table_to_json(unit.convention_table, unit.convention_counts)}


def _timing_to_json(timing: Timing) -> dict:
    return {
        name: {"points": timing.points[name], "seconds": round(timing.seconds[name], 4)}
        for name in timing.seconds
    }


def target_to_json(name: str, supported_ops, unsupported_ops: dict) -> dict:
    return {
        "name": name,
        "supported_ops": list(supported_ops),
        "unsupported_ops": dict(unsupported_ops),
    }


def settings_to_json(settings: Settings, ops, references) -> dict:
    return {
        "families": list(settings.families),
        "max_examples": {unit.name: settings.examples(unit) for unit in settings.units(ops)},
        "seed": settings.seed,
        "references": list(references),
        "ops": list(ops),
        "strict": settings.strict,
        "time_limit": settings.time_limit,
        "shrink_seconds": settings.shrink_seconds,
        "exit_first": settings.exit_first,
        "per_op": settings.per_op,
        "shard": list(settings.shard) if settings.shard else None,
        "order": settings.order,
        "modes": list(settings.modes),
    }


def to_json(result: CampaignResult) -> dict:
    return document(
        target_to_json(result.target, result.supported_ops, result.unsupported_ops),
        settings_to_json(result.settings, result.supported_ops, result.references),
        [unit_to_json(unit) for unit in result.units],
        result.seconds,
    )


def document(target: dict, settings: dict, units: list[dict], seconds: float) -> dict:
    """The result document of a campaign from its units' entries, however they were run
    (one process, or pytest-xdist workers whose entries the plugin gathers)."""
    bugs = sum(len(unit["bugs"]) for unit in units)
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": library_versions(),
        "target": target,
        "settings": settings,
        "families": units,
        "throughput": _total_throughput(units),
        "bug_count": bugs,
        "exit_code": 1 if bugs else 0,
        "seconds": round(seconds, 3),
    }


def _total_throughput(units: list[dict]) -> dict:
    points: Counter = Counter()
    seconds: Counter = Counter()
    for unit in units:
        for name, numbers in unit.get("throughput", {}).items():
            points[name] += numbers["points"]
            seconds[name] += numbers["seconds"]
    return {
        name: {
            "points": points[name],
            "seconds": round(seconds[name], 4),
            "points_per_second": round(points[name] / seconds[name], 1) if seconds[name] else 0.0,
        }
        for name in seconds
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
