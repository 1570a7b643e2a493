"""Repro scripts: one standalone Python file per bug (``oracle check ... --repro DIR``).

A script holds the minimal program as plain Python, the input point, and the tolerance the
oracle derived for each quantity. It runs the program on the target (imported from the same
spec the check used) and on torch, prints both, and exits 1 while they disagree (or the target
raises), 0 once they agree: a regression test to keep in the target's own repository. It
needs the target and torch, not the oracle, except for targets that are oracle ``Target``
objects (function- and tensor-protocol adapters, the built-in ``autograd``, ``mygrad``,
``torch-tensor``, ``torch`` and ``jax``), which run the program's IR through the oracle.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from oracle.targets import PUBLISHED

TEMPLATE = '''"""Repro of an oracle finding: {verdict} on {target}.

{explanation}

Run `python {filename}`: it prints the target's value and gradient next to torch's, and exits
1 while they disagree beyond the tolerance the oracle derived for this case, 0 once fixed.
Written by `oracle check {target} --repro ...`.
"""

import importlib
import importlib.util
import math
import sys
from pathlib import Path

TARGET = {target!r}
POINT = {point!r}
TOLERANCE = {tolerance!r}  # per quantity: value, d/dx0, ...
# The program in the oracle's IR, for targets that run programs through their own calls (the
# function and tensor protocols) rather than as the Python below.
PROGRAM = {program_json!r}


{program}


def load_target():
    """The engine's class, refgrad's mode or the oracle Target, as `oracle check` loads it."""
    if TARGET == "micrograd":
        return importlib.import_module("micrograd.engine").Value
    if TARGET == "refgrad":
        return importlib.import_module("refgrad").Value
    if TARGET.startswith("refgrad-"):
        return TARGET.removeprefix("refgrad-")
    if TARGET in {protocol_names!r}:
        return importlib.import_module("oracle.targets").load(TARGET)
    location, _, attribute = TARGET.rpartition(":")
    if location.endswith(".py"):
        path = Path(location)
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    return getattr(module, attribute)


def run_target():
    engine = load_target()
    if isinstance(engine, str):  # a refgrad mode, through its one door
        import refgrad

        every_input = tuple(range(len(POINT)))
        value, gradient = refgrad.value_and_grad(f, argnums=every_input, mode=engine)(*POINT)
        return float(value), [float(g) for g in gradient]
    if not isinstance(engine, type):  # an oracle Target: a protocol adapter, run by the oracle
        program = importlib.import_module("oracle.program").Program.from_json(PROGRAM)
        [outcome] = engine.evaluate(program, [POINT])
        if outcome.error is not None:
            raise RuntimeError(outcome.error)
        return outcome.value, list(outcome.gradient)
    leaves = [engine(x) for x in POINT]
    output = f(*leaves)
    output.backward()
    return float(output.data), [float(leaf.grad) for leaf in leaves]


def run_torch():
    import torch

    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in POINT]
    output = f(*leaves)
    output.backward()
    return output.item(), [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]


def same(a, b, tolerance):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tolerance


def main():
    torch_value, torch_gradient = run_torch()
    print(f"torch:  value {{torch_value!r}}, gradient {{torch_gradient!r}}")
    try:
        value, gradient = run_target()
    except Exception as error:
        print(f"target: raised {{type(error).__name__}}: {{error}}")
        return 1
    print(f"target: value {{value!r}}, gradient {{gradient!r}}")
    pairs = zip([value, *gradient], [torch_value, *torch_gradient], TOLERANCE)
    agree = all(same(a, b, tolerance) for a, b, tolerance in pairs)
    print("agree: the bug is fixed" if agree else "disagree: the bug is still there")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
'''

STATEFUL_TEMPLATE = '''"""Repro of an oracle finding: {verdict} on {target}, property "{property}".

{explanation}

The scenario: {scenario}
The program f, at x = {point!r}:

{indented_program}

Run `python {filename}`: it runs the scenario again on the target and on torch, both driven
by the oracle the same way (pip install 'refgrad[oracle,torch]'), prints what every .grad
held after each step, and exits 1 while the target strays from torch's semantics, 0 once
fixed. Written by `oracle check {target} --families stateful --repro ...`.
"""

import sys

from oracle.program import Program
from oracle.stateful import replay

TARGET = {target!r}
PROPERTY = {property!r}
POINT = {point!r}
PROGRAM = {program_json!r}  # f in the oracle's IR


def main():
    result = replay(TARGET, PROPERTY, Program.from_json(PROGRAM), POINT)
    for row in result.rows():
        checked = "" if row["tolerance"] is None else f"  (tolerance {{row['tolerance']:.3g}})"
        print(
            f"after {{row['after']}}: {{row['quantity']}}: target {{row['target']!r}}, "
            f"torch {{row['torch']!r}}{{checked}}"
        )
    if result.verdict.is_bug:
        print(f"still there: {{result.judgement.explanation}}")
        return 1
    print("fixed: every .grad follows torch's semantics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

# Where the oracle gave no bound (edge points): compare at this relative tolerance.
LOOSE_RELATIVE = 1e-8
# Built-in targets that are oracle Targets rather than value-protocol classes.
PROTOCOL_NAMES = (*PUBLISHED, "torch", "jax")


def script(bug: dict, target: str, filename: str) -> str:
    """The repro script for one bug of a result document (see :mod:`oracle.results`)."""
    point = [float(x) for x in bug["point"]]
    tolerance = _tolerances(bug, len(point))
    return TEMPLATE.format(
        verdict=bug["verdict"],
        target=target,
        explanation=_docstring_safe(bug["explanation"]),
        filename=filename,
        point=tuple(point),
        tolerance=tolerance,
        program=bug["program_python"],
        program_json=bug["program"],
        protocol_names=PROTOCOL_NAMES,
    )


def stateful_script(bug: dict, target: str, filename: str) -> str:
    """The repro script for one bug of the stateful family: it replays the property's
    scenario through :func:`oracle.stateful.replay`."""
    return STATEFUL_TEMPLATE.format(
        verdict=bug["verdict"],
        target=target,
        property=bug["property"],
        explanation=_docstring_safe(bug["explanation"]),
        scenario=bug["scenario"],
        point=tuple(float(x) for x in bug["point"]),
        indented_program=textwrap.indent(bug["program_python"], "    "),
        filename=filename,
        program_json=bug["program"],
    )


def _docstring_safe(text: str) -> str:
    """``text`` as it can stand inside the script's docstring."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _tolerances(bug: dict, n_inputs: int) -> list[float]:
    names = ["value", *(f"d/dx{i}" for i in range(n_inputs))]
    given = bug["tolerance"] or {}
    torch_numbers = _numbers(bug["references"].get("torch"), n_inputs)
    tolerances = []
    for name, reference in zip(names, torch_numbers, strict=True):
        bound = given.get(name)
        if isinstance(bound, float):
            tolerances.append(2 * bound)  # target and torch may each be off by the bound
        else:
            finite = isinstance(reference, float) and math.isfinite(reference)
            tolerances.append(LOOSE_RELATIVE * abs(reference) if finite else 0.0)
    return tolerances


def _numbers(outcome: dict | None, n_inputs: int) -> list:
    if outcome is None or "error" in outcome:
        return [0.0] * (1 + n_inputs)
    return [outcome["value"], *outcome["gradient"]]


def write_all(data: dict, target: str, directory: str | Path) -> list[Path]:
    """One ``repro_<n>.py`` per bug of the result document ``data``; their paths.

    A bug of the stateful family gets a script that replays its scenario (several backward
    passes) instead of the one backward pass of the others. Bugs of the jvp and hessian units
    (oracle.higher_order) get none: their report's table is the repro.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if ":" in target and target.split(":")[0].endswith(".py"):
        location, _, attribute = target.rpartition(":")
        target = f"{Path(location).resolve()}:{attribute}"
    written = []
    bugs = [bug for family in data["families"] for bug in family["bugs"]]
    for number, bug in enumerate(bugs, start=1):
        if "quantities" in bug:
            continue  # a jvp or hessian finding: one backward pass, as scripts run, shows nothing
        path = directory / f"repro_{number}.py"
        write = stateful_script if "calls" in bug else script  # "calls": the scenario's table
        path.write_text(write(bug, target, path.name))
        written.append(path)
    return written
