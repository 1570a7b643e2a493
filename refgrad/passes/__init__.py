"""Optimization passes over the static graph IR (:mod:`refgrad.graph`).

Each pass is a module with one public function, ``run(graph) -> PassResult``:

* :mod:`~refgrad.passes.simplify` - IEEE-exact algebraic rewrites (``x * 1.0 -> x``);
* :mod:`~refgrad.passes.fold` - constant folding through the op table's ``forward``;
* :mod:`~refgrad.passes.cse` - common-subexpression elimination by re-interning;
* :mod:`~refgrad.passes.dce` - dead-code elimination (inputs always stay);
* :mod:`~refgrad.passes.pipeline` - ``optimize`` runs them to a fixed point.

The contract every pass keeps (``tests/test_passes.py`` checks it on random graphs):

* The result verifies, keeps every input in order (inputs are the function's signature, used
  or not) and keeps the output names.
* It computes the same outputs as its input at every input point, bit for bit: zeros keep
  their sign and a nan stays a nan (DESIGN.md principle 3: a pass never trades IEEE results for
  school algebra). Only a nan's sign bit and payload may differ, which IEEE 754 itself leaves
  unspecified for arithmetic (section 6.3): ``nan * -1.0`` keeps the sign, ``-nan`` flips it.
* ``changed`` is False exactly when the pass found nothing to do, and then ``graph`` is the
  input graph itself (so a pipeline can tell that it reached a fixed point).
* Inputs are well-formed graphs (``optimize`` verifies its input; a pass alone trusts it). The
  input graph is never mutated.
* No recursion (graphs can be a million nodes deep) and no iteration over sets, so the same
  graph always optimizes to the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from refgrad.graph import Graph


@dataclass(frozen=True)
class PassResult:
    """What a pass returns: the new graph, whether it differs, and a line saying what changed."""

    graph: Graph
    changed: bool
    details: str
