"""The quality corpus: small autograd engines the oracle is judged by.

Every module in ``tests/quality/engines/`` (except ``_private`` ones) is one engine following
the value protocol (``Value(x)``, ``.data``, ``.grad`` after ``out.backward()``). A module
declares

* ``EXPECTED``: ``"bug"`` (a planted bug the oracle must find) or ``"correct"`` (an engine
  the oracle must pass);
* ``KIND``: the kind of bug, one of :data:`KINDS` (``"correct"`` for correct engines);
* ``BUG``: one sentence saying what is wrong and where (None for correct engines);
* for buggy engines, ``WITNESS``/``WITNESS_INPUTS``, the source of a function ``f`` and the
  point where the bug shows, and ``CONTROL``/``CONTROL_INPUTS``, a program that avoids the bug
  and is computed correctly (``tests/quality/test_corpus.py`` checks both against torch).

``ENGINES`` lists them sorted by name; ``load(name)`` returns an engine's ``Value`` class.

Engines are imported by path with their directory first on ``sys.path``, as when Python runs a
script and as ``oracle check path/to/engine.py:Value`` does, so an engine can import a sibling
module: the buggy engines subclass ``engines/_template.py`` (``from _template import Value as
Template``).

Adapter files for the function and tensor protocols, with planted bugs of their own, live in
``engines/protocols/``; they are not value-protocol classes, so not part of this catalog
(``tests/quality/test_protocol_engines.py`` checks them).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

ENGINE_DIRECTORY = Path(__file__).resolve().parent / "engines"

KINDS = (
    "wrong-derivative",
    "lost-accumulation",
    "topological-order",
    "self-operand",
    "precision-loss",
    "deep-graph-crash",
    "constant-operand",
    "sign",
    "hang",
    "protocol",
    "correct",
)


class Engine(NamedTuple):
    name: str  # the module name, e.g. "bug_tanh_derivative"
    path: Path  # the module's file: ``oracle`` targets accept "path/to/file.py:Value"
    expected: str  # "bug" or "correct"
    kind: str
    bug: str | None


class CorpusError(ValueError):
    """An engine module does not declare what the corpus needs, or declares it wrongly."""


@functools.cache
def module(name: str) -> ModuleType:
    """The engine module called ``name`` (``_template`` too), imported from its file.

    Like a script, or ``oracle.targets.load("path/to/engine.py:Value")``: the engine's
    directory comes first on ``sys.path`` while it runs, so ``from _template import ...``
    finds the sibling file. Cached, so every caller gets the same module and classes.
    """
    path = ENGINE_DIRECTORY / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"quality_engine_{name}", path)
    engine = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ENGINE_DIRECTORY))
    try:
        spec.loader.exec_module(engine)
    finally:
        sys.path.remove(str(ENGINE_DIRECTORY))
    return engine


def load(name: str) -> type:
    """The ``Value`` class of the engine called ``name``."""
    return module(name).Value


def _record(name: str) -> Engine:
    engine = module(name)
    expected = getattr(engine, "EXPECTED", None)
    kind = getattr(engine, "KIND", None)
    bug = getattr(engine, "BUG", None)
    if expected not in ("bug", "correct"):
        raise CorpusError(f"{name}: EXPECTED must be 'bug' or 'correct', not {expected!r}")
    if kind not in KINDS:
        raise CorpusError(f"{name}: KIND {kind!r} is not one of {KINDS}")
    if (expected == "correct") != (kind == "correct"):
        raise CorpusError(f"{name}: EXPECTED {expected!r} does not match KIND {kind!r}")
    if (bug is None) != (expected == "correct"):
        raise CorpusError(f"{name}: BUG is a sentence for buggy engines and None otherwise")
    return Engine(name, Path(engine.__file__), expected, kind, bug)


def _names() -> list[str]:
    """Every engine module's name: ``_private`` ones (``__init__``, ``_template``) are not."""
    found = ENGINE_DIRECTORY.glob("*.py")
    return sorted(path.stem for path in found if not path.stem.startswith("_"))


ENGINES: tuple[Engine, ...] = tuple(_record(name) for name in _names())


def adapter_module(path: Path, library: str):
    """The adapter file at ``path`` (a protocol adapter with a planted bug, exposing
    ``target``), loaded as ``oracle check FILE:target`` loads it; skipped without ``library``.

    The loader keeps the file's module in ``sys.modules``: the one holding this target is it.
    """
    import pytest

    from oracle import targets

    pytest.importorskip(library)
    target = targets.load(f"{path}:target")
    [module] = [m for m in list(sys.modules.values()) if getattr(m, "target", None) is target]
    return module
