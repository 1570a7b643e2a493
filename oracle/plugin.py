"""The pytest plugin: ``pytest --oracle-target=TARGET`` checks an engine from any project.

Registered through the ``pytest11`` entry point, so installing refgrad is enough. Loading it
imports nothing heavy: the oracle's modules load only when a target is given.

* ``--oracle-target`` (ini ``oracle_target``): what ``oracle check`` accepts (a built-in name,
  ``package.module:Attr`` or ``path/to/file.py:Attr``). Given it, the session gets one test per
  family, ``oracle[smooth]``, ``oracle[deep]`` (and ``oracle[edge]`` if asked for); a failure
  shows the minimal program, its inputs and the table of target and references.
* ``--oracle-families``, ``--oracle-max-examples``, ``--oracle-seed``, ``--oracle-references``
  (ini ``oracle_families``, ``oracle_max_examples``, ``oracle_seed``, ``oracle_references``).
* ``--oracle-xfail FILE`` (ini ``oracle_xfail``): expected failures (:mod:`oracle.expected`);
  a family whose every bug is expected is reported as xfailed, and entries that matched no bug
  are listed at the end of the session.
* The report header names the target, the references and the seed.
* The session-scoped fixture ``oracle_target`` gives the loaded target to a project's own
  tests; ``oracle.strategies`` holds the strategies for its own ``@given`` properties.
"""

from __future__ import annotations

import pytest

OPTIONS = (
    # (option, ini key, help)
    ("--oracle-target", "oracle_target", "engine to check: name, module:Attr or file.py:Attr"),
    ("--oracle-families", "oracle_families", "comma-separated families (default smooth,deep)"),
    ("--oracle-max-examples", "oracle_max_examples", "programs drawn per family"),
    ("--oracle-seed", "oracle_seed", "Hypothesis seed (default 0)"),
    ("--oracle-references", "oracle_references", "comma-separated (default: all installed)"),
    ("--oracle-xfail", "oracle_xfail", "expected failures file (see oracle.expected)"),
)


def pytest_addoption(parser):
    group = parser.getgroup("oracle", "differential testing of autodiff engines")
    for option, ini, text in OPTIONS:
        group.addoption(option, dest=ini, default=None, help=text)
        parser.addini(ini, text)


def _setting(config, ini: str) -> str | None:
    value = config.getoption(ini)
    return value if value is not None else (config.getini(ini) or None)


def _settings(config):
    from oracle import references
    from oracle.runner import Settings
    from oracle.strategies import DEFAULT_FAMILIES, FAMILIES

    families = _names(_setting(config, "oracle_families"), FAMILIES, "family")
    chosen = _names(_setting(config, "oracle_references"), references.ALL, "reference")
    examples = _setting(config, "oracle_max_examples")
    return Settings(
        families=families or DEFAULT_FAMILIES,
        max_examples=int(examples) if examples else None,
        seed=int(_setting(config, "oracle_seed") or 0),
        references=chosen or tuple(references.available()),
    )


def _names(text: str | None, choices, what: str) -> tuple[str, ...]:
    from oracle.cli import parse_names

    return parse_names(text, choices, what) if text else ()


def pytest_configure(config):
    spec = _setting(config, "oracle_target")
    config._oracle = None
    if spec is None:
        return
    from oracle import expected, targets

    xfail = _setting(config, "oracle_xfail")
    try:
        target = targets.load(spec)
        settings = _settings(config)
        entries = expected.load(xfail) if xfail else []
    except (targets.TargetLoadError, ValueError, ImportError) as error:
        raise pytest.UsageError(f"--oracle-target {spec}: {error}") from error
    config._oracle = (target, settings)
    config._oracle_expected = (entries, set())  # the entries, and the lines that matched


def pytest_report_header(config):
    if config._oracle is None:
        return None
    target, settings = config._oracle
    return (
        f"oracle: target {target.name}; references {', '.join(settings.references)}; "
        f"families {', '.join(settings.families)}; seed {settings.seed}"
    )


def pytest_collection_modifyitems(session, config, items):
    if config._oracle is None:
        return
    collector = OracleChecks.from_parent(session, name="oracle")
    items.extend(collector.collect())


class OracleChecks(pytest.Collector):
    def collect(self):
        settings = self.config._oracle[1]
        return [
            OracleFamily.from_parent(self, name=f"oracle[{family}]", family=family)
            for family in settings.families
        ]


class OracleFinding(Exception):
    """A family found a bug; the message is the oracle's explanation of it."""


class OracleFamily(pytest.Item):
    def __init__(self, *, family: str, **kwargs):
        super().__init__(**kwargs)
        self.family = family

    def runtest(self):
        from oracle.runner import Campaign

        target, settings = self.config._oracle
        result = Campaign(target, settings).run_family(self.family)
        if not result.bugs:
            return
        entries, used = self.config._oracle_expected
        if entries:
            from oracle import expected
            from oracle.results import family_to_json

            data = {"families": [family_to_json(result)]}
            expected.apply(data, entries)
            lines = [bug["expected_by"] for bug in data["families"][0]["bugs"]]
            used.update(line for line in lines if line is not None)
            if None not in lines:
                pytest.xfail(f"expected by xfail lines {sorted(set(lines))}")
        raise OracleFinding(_explain(self.family, result))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, OracleFinding):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        target, _ = self.config._oracle
        return self.path, None, f"oracle check {target.name} --families {self.family}"


def _explain(family: str, result) -> str:
    import io

    from rich.console import Console

    from oracle import console as show

    buffer = io.StringIO()
    console = Console(file=buffer, width=show.LOG_WIDTH, no_color=True, highlight=False)
    for number, bug in enumerate(result.bugs, start=1):
        show.finding(console, f"BUG {number}", bug)
    return buffer.getvalue().strip()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if getattr(config, "_oracle", None) is None:
        return
    entries, used = config._oracle_expected
    for entry in entries:
        if entry.line not in used:
            terminalreporter.write_line(
                f"oracle: xfail line {entry.line} ({entry.text}) matched no bug", yellow=True
            )


@pytest.fixture(scope="session")
def oracle_target(request):
    """The engine named by --oracle-target (skips the test when none is given)."""
    if request.config._oracle is None:
        pytest.skip("no --oracle-target given")
    return request.config._oracle[0]
