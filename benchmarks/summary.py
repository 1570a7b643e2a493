"""What the standalone benchmark scripts (``benchmarks.floor``, ``benchmarks.neighbours``)
share in their ``summary.md``: where it was measured, and how it is written."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def measured_here() -> str:
    """Today's date, this machine and its cores, and Python's version, as a report says them."""
    return (
        f"{datetime.date.today()} on {platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}"
    )


def write(out: Path, text: str) -> None:
    """``text`` into ``out/summary.md`` (the folder made if need be), and to the terminal."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text)
    print(text)
