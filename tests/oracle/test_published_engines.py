"""The oracle on published micrograd (0.1.0): it crashes on deep graphs, and is right on
smooth programs over the ops it has (+ - * / ** relu)."""

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
