"""The oracle, with its default settings, kills every planted bug and passes every correct
engine of the corpus (the same check ``python -m tests.quality.kill`` reports on)."""

import pytest

from tests.quality import catalog
from tests.quality.kill import check_engine

# A counterexample is "a handful of ops", except where the bug needs depth to show.
HANDFUL = 8


@pytest.mark.parametrize("engine", catalog.ENGINES, ids=lambda engine: engine.name)
def test_the_oracle_judges_the_engine_right(engine):
    kill = check_engine(engine)
    if engine.expected == "correct":
        assert not kill.killed, f"false alarm: {kill.explanation}\n{kill.counterexample}"
        return
    assert kill.killed, f"{engine.name} survived: {engine.bug}"
    if engine.kind == "deep-graph-crash":
        assert kill.verdict == "exception divergence" and "RecursionError" in kill.explanation
    elif engine.kind in ("hang", "protocol"):
        assert kill.verdict == "exception divergence"
        assert kill.steps <= HANDFUL, kill.counterexample
    else:
        assert kill.steps <= HANDFUL, kill.counterexample
