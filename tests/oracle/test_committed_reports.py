"""The committed oracle reports are what `oracle report` makes of the committed result files."""

from pathlib import Path

import pytest

from oracle import report, results

REPORTS = Path(__file__).parents[2] / "reports" / "oracle"
RESULT_FILES = sorted(REPORTS.glob("*.json"))


def test_there_are_committed_result_files():
    assert len(RESULT_FILES) >= 3


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.stem)
def test_the_markdown_report_regenerates_from_its_result_file(path):
    assert report.markdown(results.read(path)) == path.with_suffix(".md").read_text()
