"""The files a campaign can leave behind, written the same way by ``oracle check`` and by the
pytest plugin: the result document (JSON), the Markdown report, the standalone HTML report, a
Markdown summary for a CI step (appended: ``$GITHUB_STEP_SUMMARY`` collects several steps) and
a repro script per bug."""

from __future__ import annotations

from pathlib import Path


def write(
    data: dict,
    spec: str,
    json: str | None = None,
    report: str | None = None,
    html: str | None = None,
    summary: str | None = None,
    repro: str | None = None,
) -> list[str]:
    """Write each output that has a path; return one line per file written, for the log.

    ``spec`` is the target as the user named it, which the repro scripts load.
    """
    from oracle import results

    written = []
    if json:
        results.write(data, json)
        written.append(f"result file: {json}")
    if report:
        from oracle import report as markdown_report

        _write_text(report, markdown_report.markdown(data))
        written.append(f"report: {report}")
    if html:
        from oracle import html_report

        _write_text(html, html_report.render(data))
        written.append(f"HTML report: {html}")
    if summary:
        from oracle import report as markdown_report

        path = Path(summary)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as file:
            file.write(markdown_report.summary(data) + "\n")
        written.append(f"summary appended to {summary}")
    if repro and data["bug_count"]:
        from oracle import repro as repro_scripts

        for path in repro_scripts.write_all(data, spec, repro):
            written.append(f"repro script: {path}")
    return written


def _write_text(path_text: str, text: str) -> None:
    path = Path(path_text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
