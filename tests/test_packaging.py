"""refgrad stays light: importing it pulls in none of the heavy optional dependencies (nor
does the oracle's pytest plugin, which every pytest session in an environment with refgrad
loads)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_refgrad_imports_no_heavy_dependency():
    heavy = ["torch", "jax", "numpy", "hypothesis", "mpmath", "rich"]
    probe = (
        "import sys, refgrad, oracle, oracle.plugin; "
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"importing refgrad, oracle and oracle.plugin loaded: {loaded}"
