"""``oracle check --workers N``: the campaign's units run by pytest-xdist through the plugin.

The units of a campaign are independent and seeded (:class:`oracle.runner.Unit`), so they are
exactly what pytest-xdist distributes: this runs pytest in-process, with the plugin's options
mirroring the command line's, ``-n N``, and nothing else collected. Each worker runs whole
units; the plugin gathers their results in this process into the same result document a
serial run makes, and the same files are written from it. The terminal output is pytest's:
one character per unit, and each failing unit's minimal program and table.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def plugin_arguments(arguments) -> list[str]:
    """The pytest plugin's options for the parsed ``oracle check`` command line."""
    options = {
        "target": arguments.target,
        "families": ",".join(arguments.families),
        "max-examples": arguments.max_examples,
        "seed": arguments.seed,
        "references": ",".join(arguments.references) if arguments.references else None,
        "ops": ",".join(arguments.ops) if arguments.ops else None,
        "time-limit": arguments.time_limit,
        "shrink-seconds": arguments.shrink_seconds,
        "order": arguments.order,
        "modes": ",".join(arguments.modes),
        # More units than workers is what lets xdist balance the load: always split per op.
        "split": "op",
        "shard": "/".join(map(str, arguments.shard)) if arguments.shard else None,
        "database": arguments.database or "none",
        "xfail": arguments.xfail,
    }
    flags = ["--oracle-strict"] if arguments.strict else []
    if arguments.exitfirst:
        flags.append("-x")
    given = [f"--oracle-{name}={value}" for name, value in options.items() if value is not None]
    return given + flags


class _Result:
    """A pytest plugin object that keeps the campaign's result document when the session ends
    (the oracle plugin's session object assembles it from every worker's units)."""

    def __init__(self):
        self.data: dict | None = None

    def pytest_sessionfinish(self, session):
        oracle = getattr(session.config, "_oracle", None)
        if oracle is not None and not oracle.is_xdist_worker:
            self.data = oracle.document()


def run_check(arguments) -> int:
    import pytest

    from oracle import outputs
    from oracle.cli import USAGE_ERROR, output_paths, verdict_line

    result = _Result()
    with tempfile.TemporaryDirectory(prefix="oracle-") as directory:
        ini = Path(directory) / "pytest.ini"
        ini.write_text("[pytest]\n")  # none of the settings of the project we run in
        status = pytest.main(
            [
                # The current directory as rootdir, so test ids read ::oracle::oracle[smooth],
                # but no file of it collected: the plugin's tests are the only ones.
                ".",
                "--rootdir=.",
                "--ignore-glob=*",
                f"-c={ini}",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:benchmark",  # warns that xdist disables it, whenever it is installed
                # Hypothesis is imported already here, so pytest warns it cannot rewrite it.
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
                f"--numprocesses={arguments.workers}",
                "-q",
                *plugin_arguments(arguments),
            ],
            plugins=[result],
        )
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return USAGE_ERROR
    if result.data is None:
        print(f"oracle: error: pytest ended with {status!r} and gave no result")
        return USAGE_ERROR
    for line in outputs.write(result.data, arguments.target, **output_paths(arguments)):
        print(line)
    print(verdict_line(result.data))
    return result.data["exit_code"]
