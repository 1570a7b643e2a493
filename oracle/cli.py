"""The command line: ``oracle check TARGET [options]`` (also ``python -m oracle``).

Exit status: 0 when no target bug was found, 1 when at least one was, 2 for a usage error or a
target that cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oracle import higher_order
from oracle import references as reference_registry
from oracle.ops import OPS
from oracle.strategies import DEFAULT_FAMILIES, FAMILIES

USAGE_ERROR = 2
REPORT_FORMATS = ("markdown", "summary", "html")


def parse_names(text: str, choices: Sequence[str], what: str) -> tuple[str, ...]:
    """Comma-separated names from ``choices`` (ValueError naming the unknown ones)."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in choices]
    if unknown or not names:
        raise ValueError(
            f"unknown {what} {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(choices)}"
        )
    return names


def _names(choices: Sequence[str], what: str):
    """An argparse type for :func:`parse_names`."""

    def parse(text: str) -> tuple[str, ...]:
        try:
            return parse_names(text, choices, what)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _shard(text: str) -> tuple[int, int]:
    from oracle.runner import ShardError, parse_shard

    try:
        return parse_shard(text)
    except ShardError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="oracle", description="Differential testing for autodiff engines."
    )
    commands = top.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="check a target's values and gradients on random programs",
        description="Check TARGET against the references on random programs. TARGET is a "
        "built-in name (refgrad, refgrad-eager, refgrad-static, refgrad-compiled, "
        "refgrad-batched, micrograd, torch, jax), package.module:Attr or path/to/file.py:Attr.",
    )
    check.add_argument("target")
    check.add_argument(
        "--families",
        type=_names(FAMILIES, "family"),
        default=DEFAULT_FAMILIES,
        help=f"comma-separated, from {','.join(FAMILIES)} (default {','.join(DEFAULT_FAMILIES)})",
    )
    check.add_argument("--max-examples", type=int, default=None, help="programs drawn per family")
    check.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    check.add_argument(
        "--references",
        type=_names(reference_registry.ALL, "reference"),
        default=None,
        help="comma-separated, from torch,jax,fd,mpmath (default: all installed)",
    )
    check.add_argument(
        "--ops", type=_names(tuple(OPS), "op"), default=None, help="restrict programs to these ops"
    )
    check.add_argument(
        "--order",
        type=int,
        choices=higher_order.ORDERS,
        default=1,
        help="highest derivative order checked: 2 adds Hessians (default 1)",
    )
    check.add_argument(
        "--modes",
        type=_names(higher_order.MODES, "mode"),
        default=(higher_order.REVERSE,),
        help="comma-separated differentiation modes checked, from rev,fwd: rev runs the "
        "families, fwd adds JVPs (and, with rev, forward vs reverse) (default rev)",
    )
    check.add_argument(
        "--per-op",
        action="store_true",
        help="also check the smooth and edge families once per op, over that op and + - * only",
    )
    check.add_argument(
        "--shard", metavar="I/N", type=_shard, help="run only the I-th of N slices of the units"
    )
    check.add_argument(
        "--database",
        metavar="DIR",
        help="Hypothesis example database: failures found are kept here and replayed first",
    )
    check.add_argument(
        "-n",
        "--workers",
        type=int,
        default=None,
        help="run the units in N processes through pytest-xdist (implies --per-op)",
    )
    check.add_argument("--json", metavar="FILE", help="write the versioned result file")
    check.add_argument("--report", metavar="FILE.md", help="write a Markdown report")
    check.add_argument("--html", metavar="FILE.html", help="write a standalone HTML report")
    check.add_argument(
        "--summary", metavar="FILE.md", help="append a Markdown summary (for a CI step summary)"
    )
    check.add_argument(
        "--repro", metavar="DIR", help="write a standalone repro script per bug into DIR"
    )
    check.add_argument(
        "--xfail", metavar="FILE", help="expected failures: FAMILY:OP[:VERDICT] or id:BUGID lines"
    )
    check.add_argument(
        "--strict", action="store_true", help="edge-family findings fail the run too"
    )
    check.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="stop after the first family that finds a bug (later families are skipped)",
    )
    check.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="seconds per case on the target before it counts as a hang (default 10)",
    )
    check.add_argument(
        "--shrink-seconds", type=float, default=60.0, help="time budget for shrinking each bug"
    )
    report = commands.add_parser(
        "report",
        help="render the report of a result file or of a benchmark run",
        description="Render a report again without re-running anything. For a result file "
        "written by --json: the Markdown report, the short Markdown summary for a CI step, or "
        "the standalone HTML report. For a benchmark run's benchmark.json (oracle bench): "
        "report.md, report.html and the plots, beside the file or into -o DIR.",
    )
    report.add_argument("result", metavar="FILE.json")
    report.add_argument(
        "--format",
        choices=REPORT_FORMATS,
        default=None,
        help="for a result file (default markdown); a benchmark run writes every format",
    )
    report.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write here, not to stdout (a benchmark run: the folder for its files)",
    )
    _passes_parser(commands)
    _bench_parser(commands)
    return top


def _bench_parser(commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="run the benchmark suite and write its report",
        description="Run the benchmark suite (benchmarks/, pytest-benchmark; from a source "
        "checkout) serially: refgrad's modes against micrograd, torch and JAX on seeded "
        "workloads, and the oracle's throughput. Writes REPORTS/NAME/: benchmark.json, "
        "report.md, report.html and PNG plots. The full preset takes about 16 minutes on 2 "
        "cores, --quick under 5. Exit 1 if a case failed (the report is written anyway).",
    )
    bench.add_argument("--quick", action="store_true", help="the quick preset (< 5 minutes)")
    bench.add_argument("--name", default="latest", help="the report's folder (default latest)")
    bench.add_argument(
        "--reports", default="reports", metavar="DIR", help="where NAME goes (default reports)"
    )


def _passes_parser(commands) -> None:
    from oracle import passes_check

    defaults = passes_check.Settings()
    passes = commands.add_parser(
        "passes",
        help="check that refgrad's optimisation passes keep every result, bit for bit",
        description="Translation validation of refgrad's passes: random programs run with "
        "each pass alone, the pipelines and the modes' default, and without them; every "
        "output must be the same bit for bit (two nans match). Exit 1 if a pass changes a "
        "result (or a campaign against the references finds a bug).",
    )
    passes.add_argument(
        "--max-examples",
        type=int,
        default=defaults.max_examples,
        help=f"programs per family (default {defaults.max_examples})",
    )
    passes.add_argument("--seed", type=int, default=defaults.seed, help="Hypothesis seed")
    passes.add_argument(
        "--families",
        type=_names(passes_check.FAMILIES, "family"),
        default=defaults.families,
        help=f"comma-separated, from {','.join(passes_check.FAMILIES)} (default "
        f"{','.join(defaults.families)})",
    )
    passes.add_argument(
        "--modes",
        type=_names(passes_check.MODES, "mode"),
        default=defaults.modes,
        help=f"comma-separated, from {','.join(passes_check.MODES)} (default "
        f"{','.join(defaults.modes)})",
    )
    passes.add_argument(
        "--campaign-examples",
        type=int,
        default=defaults.campaign_examples,
        help="smooth cases per configuration and mode against the references "
        f"({','.join(defaults.references)}); 0 skips (default {defaults.campaign_examples})",
    )
    passes.add_argument("--json", metavar="FILE", help="write the result document")
    passes.add_argument("--report", metavar="FILE.md", help="write the Markdown report")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    if arguments.command == "report":
        return run_report(arguments)
    if arguments.command == "passes":
        return run_passes(arguments)
    if arguments.command == "bench":
        return run_bench(arguments)
    if arguments.max_examples is not None and arguments.max_examples < 1:
        parser().error("--max-examples must be at least 1")
    if arguments.workers is not None:
        if arguments.workers < 1:
            parser().error("--workers must be at least 1")
        from oracle import parallel

        return parallel.run_check(arguments)
    return run_check(arguments)


def run_report(arguments) -> int:
    from pathlib import Path

    from oracle import bench, html_report, report, results

    if bench.is_benchmark_run(arguments.result):
        return _render_benchmark_run(arguments)
    render = {"markdown": report.markdown, "summary": report.summary, "html": html_report.render}
    try:
        text = render[arguments.format or "markdown"](results.read(arguments.result))
    except (OSError, ValueError, KeyError) as error:
        print(f"oracle: error: cannot read {arguments.result}: {error}", file=sys.stderr)
        return USAGE_ERROR
    if arguments.output:
        Path(arguments.output).write_text(text)
    else:
        print(text, end="")
    return 0


def _render_benchmark_run(arguments) -> int:
    from oracle import bench

    if arguments.format is not None:
        print(
            f"oracle: error: {arguments.result} is a benchmark run, which renders every format "
            "at once (report.md, report.html, plots); drop --format",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        written = bench.render(arguments.result, arguments.output)
    except (bench.BenchmarksUnavailable, ValueError) as error:
        print(f"oracle: error: {arguments.result}: {error}", file=sys.stderr)
        return USAGE_ERROR
    for path in written:
        print(f"wrote {path}")
    return 0


def run_bench(arguments) -> int:
    from pathlib import Path

    from oracle import bench

    try:
        return bench.run(arguments.name, arguments.quick, Path(arguments.reports))
    except bench.BenchmarksUnavailable as error:
        print(f"oracle: error: {error}", file=sys.stderr)
        return USAGE_ERROR


def run_check(arguments) -> int:
    from oracle import console as show
    from oracle import expected, outputs, results, targets
    from oracle.runner import Campaign, chosen_ops

    console = show.make_console()
    error_console = show.make_console(stderr=True)
    try:
        expectations = expected.load(arguments.xfail) if arguments.xfail else None
        target = targets.load(arguments.target)
        references = arguments.references or _installed_references(error_console)
        settings = settings_from(arguments, references)
        show.header(console, target, settings, references)
        with show.progress_reporter(console, settings, chosen_ops(target, settings)) as on_case:
            result = Campaign(target, settings, on_case).run()
    except (
        targets.TargetLoadError,
        reference_registry.MissingDependency,
        expected.ExpectedFileError,
        ValueError,
    ) as error:
        error_console.print(f"oracle: error: {error}")
        return USAGE_ERROR
    show.summary(console, result)
    show.findings(console, result)
    data = results.to_json(result)  # one document for every file: same timestamp
    for line in convention_lines(data):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if expectations is not None:
        _report_expectations(console, data, expectations)
    for line in outputs.write(data, arguments.target, **output_paths(arguments)):
        console.print(line)
    console.print(verdict_line(data))
    return data["exit_code"]


def run_passes(arguments) -> int:
    import json
    from pathlib import Path

    from oracle import passes_check, passes_report
    from oracle import references as registry

    if arguments.max_examples < 1 or arguments.campaign_examples < 0:
        parser().error("--max-examples must be at least 1, --campaign-examples at least 0")
    wanted = passes_check.Settings().references
    references = tuple(name for name in wanted if name in registry.available())
    settings = passes_check.Settings(
        families=arguments.families,
        modes=arguments.modes,
        max_examples=arguments.max_examples,
        seed=arguments.seed,
        campaign_examples=arguments.campaign_examples if references else 0,
        references=references,
    )
    result = passes_check.check(settings, progress=lambda line: print(line, flush=True))
    data = passes_check.to_json(result)
    print()
    print(passes_report.table(data))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {arguments.json}")
    if arguments.report:
        Path(arguments.report).write_text(passes_report.markdown(data))
        print(f"wrote {arguments.report}")
    print(f"\n{passes_report.verdict(data)}")
    return data["exit_code"]


def convention_lines(data: dict) -> list[str]:
    """The edge units' convention tables (see :mod:`oracle.conventions`), short: the special
    points where the target does not simply follow both torch and jax."""
    from oracle.report import convention_profile, convention_tables

    lines = []
    for table in convention_tables(data):
        sentence, differing = convention_profile(table)
        lines.append(sentence)
        lines += [
            f"  {row['label']}: target {row['target']}, torch {row['torch']}, "
            f"jax {row['jax']}, interval {row['interval']}: {row['verdict']}"
            for row in differing
        ]
    return lines


def verdict_line(data: dict) -> str:
    bugs = data["bug_count"]
    if not bugs:
        return "\nno target bug found"
    return f"\n{bugs} target bug{'s' if bugs != 1 else ''} found"


def settings_from(arguments, references):
    from oracle.runner import Settings

    return Settings(
        families=arguments.families,
        max_examples=arguments.max_examples,
        seed=arguments.seed,
        references=references,
        ops=arguments.ops,
        strict=arguments.strict,
        time_limit=arguments.time_limit,
        shrink_seconds=arguments.shrink_seconds,
        exit_first=arguments.exitfirst,
        per_op=arguments.per_op,
        shard=arguments.shard,
        database=arguments.database,
        order=arguments.order,
        modes=arguments.modes,
    )


def output_paths(arguments) -> dict[str, str | None]:
    kinds = ("json", "report", "html", "summary", "repro")
    return {kind: getattr(arguments, kind) for kind in kinds}


def _report_expectations(console, data: dict, expectations) -> None:
    from oracle import expected

    unmatched = expected.apply(data, expectations)
    bugs = [bug for family in data["families"] for bug in family["bugs"]]
    for number, bug in enumerate(bugs, start=1):
        if bug["expected_by"] is not None:
            console.print(
                f"BUG {number} (id {bug['id']}) is expected: xfail line {bug['expected_by']}"
            )
    for entry in unmatched:
        console.print(f"warning: xfail line {entry.line} ({entry.text}) matched no bug")


def _installed_references(error_console) -> tuple[str, ...]:
    names = reference_registry.available()
    missing = [name for name in reference_registry.ALL if name not in names]
    if missing:
        error_console.print(
            f"oracle: warning: references not installed, not used: {', '.join(missing)} "
            "(pip install 'refgrad[all]')"
        )
    return tuple(names)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
