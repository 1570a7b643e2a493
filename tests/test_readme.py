"""The README stays true: its op table is the op table's, and its examples print what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from refgrad.ops import conventions_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_op_table_is_generated_from_the_op_table():
    text = README.read_text()
    embedded = text.split("<!-- conventions:start -->")[1].split("<!-- conventions:end -->")[0]
    assert embedded.strip() == conventions_markdown().strip(), (
        "README.md's op table is stale: paste refgrad.ops.conventions_markdown() between the "
        "conventions markers"
    )


def python_examples_with_output():
    """Pairs of (```python block, the ``` block right after it)."""
    text = README.read_text()
    pattern = re.compile(r"```python\n(.*?)```\s*\n```\n(.*?)```", re.DOTALL)
    return pattern.findall(text)


def test_every_readme_example_prints_what_the_readme_shows():
    examples = python_examples_with_output()
    assert len(examples) >= 3
    namespace: dict[str, object] = {}
    for source, expected in examples:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(source, namespace)
        assert printed.getvalue() == expected, source
