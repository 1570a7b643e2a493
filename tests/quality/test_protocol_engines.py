"""Planted bugs behind the function and tensor protocols: the oracle catches them.

The engines in ``tests/quality/engines/protocols/`` are adapter files, as a user writes them:
each exposes a ``target`` (a :class:`~oracle.targets.function_protocol.FunctionProtocolTarget`
or :class:`~oracle.targets.tensor_protocol.TensorProtocolTarget` over a published library) with
one planted bug, and declares ``EXPECTED``, ``KIND`` and ``BUG`` like the value-protocol
corpus, plus a ``WITNESS`` and a ``CONTROL`` program in the oracle's IR (these engines do not
run the printed Python). They are not in :mod:`tests.quality.catalog`, whose engines are
value-protocol classes; the oracle loads them as ``oracle check path/to/adapter.py:target``.
"""

import math
from pathlib import Path

import pytest

from oracle import references, targets
from oracle.compare import Verdict
from oracle.runner import Campaign, Settings
from tests.quality.catalog import KINDS, adapter_module

ADAPTERS = sorted((Path(__file__).parent / "engines" / "protocols").glob("bug_*.py"))
LIBRARY = {"bug_autograd_sin_vjp": "autograd", "bug_torch_sigmoid_function": "torch"}
AGREEMENT = 1e-12  # controls agree with torch this closely (relative)
WITNESS_GAP = 1e-3  # witnesses are off by more than this (relative)


@pytest.fixture(scope="module", params=ADAPTERS, ids=lambda path: path.stem)
def adapter(request):
    """The adapter file's module, loaded as ``oracle check FILE:target`` loads it."""
    return adapter_module(request.param, LIBRARY[request.param.stem])


def test_every_adapter_is_listed():
    assert {path.stem for path in ADAPTERS} == set(LIBRARY)


def test_the_adapter_documents_its_bug(adapter):
    module = adapter
    assert (module.EXPECTED, module.KIND in KINDS) == ("bug", True)
    assert module.BUG.endswith(".") and len(module.__doc__.split()) >= 30
    assert isinstance(module.target, targets.Target)
    assert module.target.unsupported_ops == {}


def relative_errors(target, program, point) -> list[float]:
    [got] = target.evaluate(program, [point])
    [want] = references.load("torch").evaluate(program, [point])
    assert got.ok, got.error
    pairs = zip((got.value, *got.gradient), (want.value, *want.gradient), strict=True)
    return [abs(g - w) / max(abs(w), math.ulp(1.0)) for g, w in pairs]


def test_the_witness_shows_the_bug_and_the_control_does_not(adapter):
    module = adapter
    witness = relative_errors(module.target, module.WITNESS, module.WITNESS_INPUTS)
    assert witness[0] <= AGREEMENT, "the planted bugs are in derivatives, not values"
    assert max(witness[1:]) > WITNESS_GAP
    control = relative_errors(module.target, module.CONTROL, module.CONTROL_INPUTS)
    assert max(control) <= AGREEMENT


def test_a_campaign_catches_the_bug_with_a_minimal_program(adapter):
    module = adapter
    settings = Settings(
        families=("smooth",), max_examples=40, references=("torch", "mpmath"), exit_first=True
    )
    result = Campaign(module.target, settings).run()
    assert result.exit_code == 1
    [bug] = result.bugs
    assert bug.verdict is Verdict.TARGET_BUG
    assert 1 <= len(bug.case.program) <= 3, bug.case.program
