"""Run the benchmark suite and write its report; or re-render a report from saved JSON.

    python -m benchmarks.suite [--quick] [--name NAME] [--reports DIR]
    python -m benchmarks.suite report PATH/benchmark.json [--out DIR]
    python -m benchmarks.suite readme [PATH/benchmark.json]

The first runs ``benchmarks/test_suite.py`` (pytest-benchmark) in a fresh Python process,
serially (``-p no:xdist``), with the ``full`` preset or ``--quick`` (``benchmarks/presets.py``),
and writes ``DIR/NAME/`` (default ``reports/latest/``):

* ``benchmark.json``: pytest-benchmark's JSON file, as it wrote it plus the run's wall time
  under ``suite``: the only input of the report;
* ``report.md`` and ``report.html``: the report (``benchmarks/suite_report.py``);
* PNG plots (``benchmarks/suite_plots.py``, matplotlib).

The second renders ``report.md``, ``report.html`` and the plots again from the JSON file
alone (into its own directory unless ``--out``): the same file always gives the same
Markdown, byte for byte.

The third copies a run's headline (default ``reports/latest/``) into README.md, between the
``bench-headline`` markers; a test keeps that copy in sync with the committed run.

For other front ends (``oracle bench``, ``oracle report``): :func:`run_suite`,
:func:`write_report` (``oracle.bench`` tells a suite file from an oracle result file).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import suite_report
from benchmarks.suite_report import ReportError

ROOT = Path(__file__).resolve().parents[1]  # the checkout: pytest finds its configuration here
TEST_FILE = Path(__file__).with_name("test_suite.py")


def run_suite(name: str = "latest", quick: bool = False, reports: Path = Path("reports")) -> int:
    """Run the suite in a fresh process and write ``reports/name/``; return pytest's exit
    status (0: every case ran and every engine's gradients agreed).

    The report is written even when some case failed (its JSON holds the cases that ran).
    """
    out = Path(reports) / name
    out.mkdir(parents=True, exist_ok=True)
    json_path = (out / "benchmark.json").resolve()
    # pytest writes beside the last run's JSON, which stays as it is until this run is done:
    # deleting a committed file first made pytest-benchmark record the checkout as dirty.
    fresh = json_path.with_name(json_path.name + ".new")
    fresh.unlink(missing_ok=True)  # never re-render an earlier run by mistake
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(TEST_FILE),
        f"--bench-preset={'quick' if quick else 'full'}",
        "--benchmark-only",
        "--benchmark-enable",
        f"--benchmark-json={fresh}",
        "--benchmark-columns=median,rounds",
        "--benchmark-sort=name",
        "-p",
        "no:xdist",
        "-q",
    ]
    began = time.perf_counter()
    status = subprocess.run(command, cwd=ROOT, check=False).returncode
    wall_seconds = time.perf_counter() - began
    if not fresh.exists():
        print(f"the benchmark run wrote no JSON (pytest exit status {status})", file=sys.stderr)
        return status or 1
    fresh.replace(json_path)
    _record_wall_time(json_path, wall_seconds)
    for path in write_report(json_path, out):
        print(f"wrote {path}")
    _print_targets(json_path)
    if status != 0:
        print(f"some cases failed (pytest exit status {status}); see above", file=sys.stderr)
    return status


def _record_wall_time(json_path: Path, seconds: float) -> None:
    data = json.loads(json_path.read_text())
    data["suite"]["wall seconds"] = seconds
    json_path.write_text(json.dumps(data, indent=4) + "\n")  # (pytest-benchmark's indent)


def write_report(json_path: Path, out: Path | None = None) -> list[Path]:
    """Render ``report.md``, ``report.html`` and the plots from a suite JSON file into
    ``out`` (default: the file's directory); return the files written.

    Raises ReportError if the file is not a suite run, or if matplotlib is missing.
    """
    run = suite_report.load(Path(json_path))
    out = Path(json_path).parent if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("matplotlib") is None:
        raise ReportError(
            "the report's plots need matplotlib: pip install -e '.[bench]' (or matplotlib)"
        )
    from benchmarks.suite_plots import write_plots

    written = [out / "report.md", out / "report.html"]
    written[0].write_text(suite_report.markdown(run), encoding="utf-8")
    written[1].write_text(suite_report.html(run), encoding="utf-8")
    return written + write_plots(run, out)


def _print_targets(json_path: Path) -> None:
    run = suite_report.load(json_path)
    print("\nTargets (random DAG):")
    for check in suite_report.checks(run):
        verdict = "not measured" if check.met is None else ("met" if check.met else "NOT MET")
        print(f"  {verdict:12} {check.target}: {check.measured or '-'}")


README_START, README_END = "<!-- bench-headline:start -->", "<!-- bench-headline:end -->"


def readme_with_headline(readme: str, json_path: Path) -> str:
    """``readme`` with the headline of the run in ``json_path`` between the README markers
    (the report's folder linked relative to the checkout, where the README lives)."""
    if readme.count(README_START) != 1 or readme.count(README_END) != 1:
        raise ReportError(f"the README needs one {README_START} and one {README_END} line")
    folder = Path(json_path).resolve().parent.relative_to(ROOT).as_posix()
    block = suite_report.readme_headline(suite_report.load(Path(json_path)), folder)
    before, rest = readme.split(README_START)
    after = rest.split(README_END)[1]
    return f"{before}{README_START}\n{block}{README_END}{after}"


def _update_readme(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.suite readme",
        description="Copy a saved run's headline (table, plot, targets not met) into README.md.",
    )
    parser.add_argument(
        "json", type=Path, nargs="?", default=ROOT / "reports/latest/benchmark.json"
    )
    args = parser.parse_args(argv)
    readme = ROOT / "README.md"
    try:
        readme.write_text(readme_with_headline(readme.read_text(encoding="utf-8"), args.json))
    except (ReportError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote the headline of {args.json} into {readme}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["readme"]:
        return _update_readme(argv[1:])
    if argv[:1] == ["report"]:
        parser = argparse.ArgumentParser(
            prog="python -m benchmarks.suite report",
            description="Render the report and plots again from a saved suite JSON file.",
        )
        parser.add_argument("json", type=Path, help="a benchmark.json written by the suite")
        parser.add_argument("--out", type=Path, default=None, help="default: the file's folder")
        args = parser.parse_args(argv[1:])
        try:
            written = write_report(args.json, args.out)
        except ReportError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path}")
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.suite",
        description="Run the benchmark suite (`report FILE` re-renders a saved run instead).",
    )
    parser.add_argument("--quick", action="store_true", help="the quick preset (< 5 minutes)")
    parser.add_argument("--name", default="latest", help="writes REPORTS/NAME (default latest)")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="default reports")
    args = parser.parse_args(argv)
    return run_suite(args.name, args.quick, args.reports)


if __name__ == "__main__":
    sys.exit(main())
