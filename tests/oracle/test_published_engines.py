"""The oracle on published engines.

micrograd (0.1.0, value protocol): it crashes on deep graphs, and is right on smooth programs
over the ops it has (+ - * / ** relu). HIPS autograd (function protocol) and MyGrad (tensor
protocol): right on smooth programs over every op, and on deep graphs; their tests are skipped
where the engine is not installed (``pip install 'refgrad[engines]'``).
"""

import pytest

from oracle import references, targets
from oracle.compare import Verdict
from oracle.runner import Campaign, Settings


def campaign(**settings):
    every_reference = tuple(references.available())
    return Campaign(targets.load("micrograd"), Settings(references=every_reference, **settings))


def test_default_run_finds_the_deep_graph_crash():
    result = campaign().run()
    assert result.exit_code == 1
    [bug] = result.bugs
    assert bug.case.family == "deep"
    assert bug.verdict is Verdict.EXCEPTION_DIVERGENCE
    assert "RecursionError" in bug.judgement.explanation
    assert bug.case.program.depth() >= 900  # micrograd recurses once per level of the graph


def test_smooth_programs_pass():
    result = campaign(families=("smooth",)).run()
    assert result.exit_code == 0
    assert result.supported_ops == ("add", "sub", "mul", "div", "pow", "neg", "relu")


# --- HIPS autograd (function protocol) and MyGrad (tensor protocol) ----------------------------
# Both pass the smooth family over every op and survive the deep family's residual chains
# (their backward passes are iterative); `oracle check autograd` and `oracle check mygrad` exit 0
# with the default settings. In the edge family autograd differs at kinks and domain edges (see
# README, "What it finds"); these tests keep to smooth and deep, with few examples, for speed.


def quick_campaign(name, family, max_examples):
    pytest.importorskip(name)
    settings = Settings(
        families=(family,), max_examples=max_examples, references=("torch", "mpmath")
    )
    return Campaign(targets.load(name), settings).run()


@pytest.mark.parametrize("name", ["autograd", "mygrad"])
def test_published_tensor_and_function_engines_pass_smooth_programs(name):
    result = quick_campaign(name, "smooth", 60)
    assert result.exit_code == 0, [bug.judgement.explanation for bug in result.bugs]
    assert result.unsupported_ops == {}  # every op, natively or by a formula


@pytest.mark.parametrize("name", ["autograd", "mygrad"])
def test_published_tensor_and_function_engines_survive_deep_graphs(name):
    result = quick_campaign(name, "deep", 6)  # chains up to about 2,300 ops at seed 0
    assert result.exit_code == 0, [bug.judgement.explanation for bug in result.bugs]
