"""oracle: differential testing for autodiff engines.

Random straight-line programs (:mod:`oracle.strategies`) are run on a target engine and on
independent references (:mod:`oracle.references`: PyTorch, JAX, finite differences and an
mpmath ground truth); each case is judged with a tolerance derived from its own conditioning
(:mod:`oracle.exact`, :mod:`oracle.compare`), and every disagreement is shrunk by Hypothesis
to a minimal program (:mod:`oracle.runner`).

From the command line: ``oracle check TARGET`` (see :mod:`oracle.cli`). From Python::

    from oracle import targets
    from oracle.runner import check

    result = check(targets.load("path/to/engine.py:Value"), families=("smooth",))
    print(result.exit_code, [bug.judgement.explanation for bug in result.bugs])

Nothing heavy is imported here: torch and jax load only when a reference needs them.
"""
