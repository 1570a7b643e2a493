"""The pytest plugin: ``pytest --oracle-target=TARGET`` checks an engine from any project.

Registered through the ``pytest11`` entry point, so installing refgrad is enough. Loading it
imports nothing heavy: the oracle's modules load only when a target is given.

* ``--oracle-target`` (ini ``oracle_target``): what ``oracle check`` accepts (a built-in name,
  ``package.module:Attr`` or ``path/to/file.py:Attr``). Given it, the session gets one test per
  unit of the campaign: ``oracle[smooth]``, ``oracle[deep]`` (and ``oracle[edge]`` if asked
  for), and one per op, ``oracle[smooth-log]``, over that op and ``+ - *`` only, so a failure
  names its op (``--oracle-split=family`` keeps only the per-family tests). A failure shows
  the minimal program, its inputs and the table of target and references.
  ``--oracle-order=2`` and ``--oracle-modes=fwd,rev`` add the Hessian and JVP tests
  (``oracle[hessian]``, ``oracle[jvp]``; see :mod:`oracle.higher_order`).
* Every option has an ini twin (``--oracle-seed`` / ``oracle_seed``): families, examples,
  seed, references, ops, strict, time limit, shrink budget, order, modes, split, shard,
  database, xfail file and the output files.
* Parallel and sharded: the tests are independent and seeded, so ``-n auto`` (pytest-xdist)
  spreads them over the cores with the same verdicts, and ``--oracle-shard=I/N`` keeps the
  I-th of N slices of them, for a CI matrix across machines.
* Hypothesis's example database (``--oracle-database``, default ``.hypothesis/oracle`` under
  the rootdir, shared by the xdist workers; ``none`` turns it off): a failure found once is
  replayed first on the next run.
* Outputs, written once by the controlling process from every test's results:
  ``--oracle-json`` (the result document of ``oracle check --json``), ``--oracle-report``
  (Markdown), ``--oracle-html``, ``--oracle-summary`` (appended, for ``$GITHUB_STEP_SUMMARY``)
  and ``--oracle-repro DIR``. JUnit XML comes from pytest's own ``--junitxml``.
* ``--oracle-xfail FILE``: expected failures (:mod:`oracle.expected`); a test whose every bug
  is expected is reported as xfailed, and entries that matched no bug are listed at the end.
* The report header names the target, the references and the seed.
* The session-scoped fixture ``oracle_target`` gives the loaded target to a project's own
  tests; ``oracle.strategies`` holds the strategies for its own ``@given`` properties.
"""

from __future__ import annotations

import time

import pytest

VALUE_OPTIONS = (
    # (option, ini key, help)
    ("--oracle-target", "oracle_target", "engine to check: name, module:Attr or file.py:Attr"),
    ("--oracle-families", "oracle_families", "comma-separated families (default smooth,deep)"),
    ("--oracle-max-examples", "oracle_max_examples", "programs drawn per test"),
    ("--oracle-seed", "oracle_seed", "Hypothesis seed (default 0)"),
    ("--oracle-references", "oracle_references", "comma-separated (default: all installed)"),
    ("--oracle-ops", "oracle_ops", "comma-separated ops programs are drawn from"),
    ("--oracle-time-limit", "oracle_time_limit", "seconds per case before it is a hang"),
    ("--oracle-shrink-seconds", "oracle_shrink_seconds", "time budget for shrinking each bug"),
    ("--oracle-order", "oracle_order", "highest derivative order checked, 1 or 2 (default 1)"),
    ("--oracle-modes", "oracle_modes", "comma-separated modes from rev,fwd (default rev)"),
    ("--oracle-split", "oracle_split", "op (default): a test per family and per op; family"),
    ("--oracle-shard", "oracle_shard", "I/N: run only the I-th of N slices of the tests"),
    ("--oracle-database", "oracle_database", "example database dir, or none"),
    ("--oracle-xfail", "oracle_xfail", "expected failures file (see oracle.expected)"),
    ("--oracle-json", "oracle_json", "write the result document (JSON) here"),
    ("--oracle-report", "oracle_report", "write the Markdown report here"),
    ("--oracle-html", "oracle_html", "write the standalone HTML report here"),
    ("--oracle-summary", "oracle_summary", "append a Markdown CI summary to this file"),
    ("--oracle-repro", "oracle_repro", "write a repro script per bug into this directory"),
)
SPLITS = ("op", "family")


def pytest_addoption(parser):
    group = parser.getgroup("oracle", "differential testing of autodiff engines")
    for option, ini, text in VALUE_OPTIONS:
        group.addoption(option, dest=ini, default=None, help=text)
        parser.addini(ini, text)
    text = "edge-family findings fail too"
    group.addoption("--oracle-strict", dest="oracle_strict", action="store_true", help=text)
    parser.addini("oracle_strict", text, type="bool", default=False)


def _setting(config, ini: str) -> str | None:
    value = config.getoption(ini)
    return value if value is not None else (config.getini(ini) or None)


def _settings(config):
    from oracle import higher_order, references
    from oracle.ops import OPS
    from oracle.runner import Settings, parse_shard
    from oracle.strategies import DEFAULT_FAMILIES, FAMILIES

    split = _setting(config, "oracle_split") or "op"
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    examples = _setting(config, "oracle_max_examples")
    shard = _setting(config, "oracle_shard")
    numbers = {
        key: float(_setting(config, f"oracle_{key}"))
        for key in ("time_limit", "shrink_seconds")
        if _setting(config, f"oracle_{key}")
    }
    return Settings(
        families=_names(_setting(config, "oracle_families"), FAMILIES, "family")
        or DEFAULT_FAMILIES,
        max_examples=int(examples) if examples else None,
        seed=int(_setting(config, "oracle_seed") or 0),
        references=_names(_setting(config, "oracle_references"), references.ALL, "reference")
        or tuple(references.available()),
        ops=_names(_setting(config, "oracle_ops"), tuple(OPS), "op") or None,
        strict=config.getoption("oracle_strict") or config.getini("oracle_strict"),
        per_op=split == "op",
        shard=parse_shard(shard) if shard else None,
        database=_database(config),
        order=_order(_setting(config, "oracle_order")),
        modes=_names(_setting(config, "oracle_modes"), higher_order.MODES, "mode")
        or (higher_order.REVERSE,),
        **numbers,
    )


def _order(text: str | None) -> int:
    if text is None:
        return 1
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"order {text!r} is not 1 or 2") from None


def _database(config) -> str | None:
    path = _setting(config, "oracle_database")
    if path is None:
        return str(config.rootpath / ".hypothesis" / "oracle")
    return None if path.lower() == "none" else path


def _names(text: str | None, choices, what: str) -> tuple[str, ...]:
    from oracle.cli import parse_names

    return parse_names(text, choices, what) if text else ()


def pytest_configure(config):
    spec = _setting(config, "oracle_target")
    config._oracle = None
    if spec is None:
        return
    from oracle import expected, targets
    from oracle.runner import chosen_ops

    xfail = _setting(config, "oracle_xfail")
    try:
        target = targets.load(spec)
        settings = _settings(config)
        ops = chosen_ops(target, settings)
        entries = expected.load(xfail) if xfail else []
    except (targets.TargetLoadError, ValueError, ImportError) as error:
        raise pytest.UsageError(f"--oracle-target {spec}: {error}") from error
    config._oracle = OracleSession(config, spec, target, settings, ops, entries)
    config.pluginmanager.register(config._oracle, "oracle-session")


class OracleSession:
    """The plugin's state and hooks for one pytest session with a target: what to check, and
    the results that come back from the tests (from xdist workers too)."""

    def __init__(self, config, spec, target, settings, ops, expected_entries):
        self.config = config
        self.spec = spec
        self.target = target
        self.settings = settings
        self.ops = ops
        self.expected_entries = expected_entries
        self.unit_entries: dict[str, dict] = {}  # unit name -> its result entry
        self.written: list[str] = []  # what the outputs step wrote, for the terminal
        self.started = time.perf_counter()

    @property
    def is_xdist_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_report_header(self):
        settings = self.settings
        shard = f"; shard {settings.shard[0]}/{settings.shard[1]}" if settings.shard else ""
        return (
            f"oracle: target {self.target.name}; references {', '.join(settings.references)}; "
            f"families {', '.join(settings.families)}; seed {settings.seed}{shard}"
        )

    def pytest_collection_modifyitems(self, session, items):
        # Through genitems, as pytest collects its own nodes: the collection report counts them
        # ("collected 14 items") and hooks see them.
        items.extend(session.genitems(OracleChecks.from_parent(session, name="oracle")))

    def pytest_runtest_logreport(self, report):
        entry = getattr(report, "oracle_entry", None)
        if entry is not None:
            self.unit_entries[entry["unit"]] = entry

    def pytest_sessionfinish(self):
        if not self.is_xdist_worker:  # the controller writes the outputs, once
            self.written = self._write_outputs()

    def pytest_terminal_summary(self, terminalreporter):
        for line in self.written:
            terminalreporter.write_line(f"oracle: {line}")
        for entry in self._unmatched_expectations():
            terminalreporter.write_line(
                f"oracle: xfail line {entry.line} ({entry.text}) matched no bug", yellow=True
            )

    def document(self) -> dict:
        """The result document of the units that ran, in the campaign's order, with the
        expected failures marked (which sets its exit code)."""
        from oracle import expected, results

        order = [unit.name for unit in self.settings.units(self.ops)]
        entries = [self.unit_entries[name] for name in order if name in self.unit_entries]
        data = results.document(
            results.target_to_json(self.target.name, self.ops, self.target.unsupported_ops),
            results.settings_to_json(self.settings, self.ops, self.settings.references),
            entries,
            time.perf_counter() - self.started,
        )
        if self.expected_entries:
            expected.apply(data, self.expected_entries)
        return data

    def _write_outputs(self) -> list[str]:
        from oracle import outputs

        wanted = {
            kind: _setting(self.config, f"oracle_{kind}")
            for kind in ("json", "report", "html", "summary", "repro")
        }
        if not any(wanted.values()):
            return []
        return outputs.write(self.document(), self.spec, **wanted)

    def _unmatched_expectations(self) -> list:
        if not self.expected_entries or self.is_xdist_worker:
            return []
        from oracle import expected

        entries = list(self.unit_entries.values())
        return expected.apply({"families": entries}, self.expected_entries)


class OracleChecks(pytest.Collector):
    def collect(self):
        oracle = self.config._oracle
        return [
            OracleUnit.from_parent(self, name=f"oracle[{unit.name}]", unit=unit)
            for unit in oracle.settings.units(oracle.ops)
        ]


class OracleFinding(Exception):
    """A unit found a bug; the message is the oracle's explanation of it."""


class OracleUnit(pytest.Item):
    def __init__(self, *, unit, **kwargs):
        super().__init__(**kwargs)
        self.unit = unit
        self.oracle_entry: dict | None = None

    def runtest(self):
        from oracle import expected
        from oracle.results import unit_to_json
        from oracle.runner import Campaign

        oracle = self.config._oracle
        result = Campaign(oracle.target, oracle.settings).run_unit(self.unit)
        self.oracle_entry = unit_to_json(result)
        if result.not_applicable is not None:  # a stateful property the target cannot run
            pytest.skip(f"not applicable: {result.not_applicable}")
        if not result.bugs:
            return
        if oracle.expected_entries:
            expected.apply({"families": [self.oracle_entry]}, oracle.expected_entries)
            lines = [bug["expected_by"] for bug in self.oracle_entry["bugs"]]
            if None not in lines:
                pytest.xfail(f"expected by xfail lines {sorted(set(lines))}")
        raise OracleFinding(_explain(result))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, OracleFinding):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        oracle = self.config._oracle
        return self.path, None, f"oracle check {oracle.target.name}: {self.unit.name}"


def _explain(result) -> str:
    import io

    from rich.console import Console

    from oracle import console as show

    buffer = io.StringIO()
    console = Console(file=buffer, width=show.LOG_WIDTH, no_color=True, highlight=False)
    for number, bug in enumerate(result.bugs, start=1):
        show.finding(console, f"BUG {number}", bug)
    return buffer.getvalue().strip()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    entry = getattr(item, "oracle_entry", None)
    if call.when == "call" and entry is not None:
        # A plain JSON attribute: pytest-xdist serializes it with the report to the controller.
        report.oracle_entry = entry
    return report


@pytest.fixture(scope="session")
def oracle_target(request):
    """The engine named by --oracle-target (skips the test when none is given)."""
    if request.config._oracle is None:
        pytest.skip("no --oracle-target given")
    return request.config._oracle.target
