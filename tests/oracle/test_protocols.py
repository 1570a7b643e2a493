"""The function and tensor protocols, custom adapters, and the built-in published engines.

The function-protocol tests run on refgrad's own ``value_and_grad`` (a gradient transform like
autograd's or JAX's, always installed), the tensor-protocol tests on torch's scalar tensors;
each breaks the protocol in one way and checks the outcome says what was wrong.
"""

import math
import operator
import sys

import numpy as np
import pytest
import torch

import refgrad
from oracle import targets
from oracle.ops import OPS, PYTHON_CALLS
from oracle.program import Const, Program, Step
from oracle.runner import Campaign, Settings
from oracle.targets import TargetLoadError
from oracle.targets.function_protocol import FunctionProtocolTarget, calls_from_namespace
from oracle.targets.tensor_protocol import TensorProtocolTarget

PRODUCT = Program(2, (Step("mul", (0, 1)),))
SINE_OF_PRODUCT = Program(2, (Step("mul", (0, 1)), Step("sin", (2,))))
FIRST_INPUT_ONLY = Program(2, (Step("mul", (0, Const(3.0))),))  # x1 does not reach the output


def refgrad_transform(function, argnums):
    return refgrad.value_and_grad(function, argnums=argnums)


def function_target(calls=PYTHON_CALLS, transform=refgrad_transform, name="refgrad-fn"):
    return FunctionProtocolTarget(name, calls, transform)


def torch_leaf(x, dtype=torch.float64):
    return torch.tensor(x, dtype=dtype, requires_grad=True)


def tensor_target(leaf=torch_leaf, calls=PYTHON_CALLS, name="torch-tensor-test"):
    return TensorProtocolTarget(name, leaf, calls)


# --- calls from a NumPy-like namespace ---------------------------------------------------------


def test_calls_from_numpy_cover_every_op_with_formulas_for_relu_and_sigmoid():
    calls = calls_from_namespace(np)
    assert set(calls) == set(OPS)
    assert calls["tanh"] is np.tanh and calls["add"](2.0, 3.0) == 5.0
    assert calls["relu"](np.float64(-2.0)) == 0.0 and calls["relu"](np.float64(2.0)) == 2.0
    assert calls["sigmoid"](np.float64(0.0)) == 0.5


def test_ops_a_namespace_lacks_are_left_out_and_overrides_win():
    class Namespace:
        exp, tanh = staticmethod(np.exp), staticmethod(np.tanh)

    calls = calls_from_namespace(Namespace, tanh=math.tanh)
    assert "sin" not in calls and "relu" not in calls  # no maximum, so no relu formula
    assert calls["tanh"] is math.tanh and "sigmoid" in calls  # exp gives the formula


# --- the function protocol ---------------------------------------------------------------------


def test_a_function_target_agrees_with_the_engine():
    target = function_target()
    assert target.unsupported_ops == {}
    [outcome] = target.evaluate(SINE_OF_PRODUCT, [(0.5, 2.0)])
    assert outcome.value == math.sin(1.0)
    assert outcome.gradient == (2.0 * math.cos(1.0), 0.5 * math.cos(1.0))


def test_probing_lists_unsupported_ops_with_reasons():
    calls = {**PYTHON_CALLS, "exp": lambda v: v.exponential()}
    del calls["sin"]
    target = function_target(calls)
    assert target.unsupported_ops["sin"] == "the adapter has no function for sin"
    assert target.unsupported_ops["exp"].startswith("exp(x0) raises AttributeError")
    assert "sin" not in target.supported_ops and "cos" in target.supported_ops


def test_a_failure_after_the_forward_pass_is_a_finding_not_an_unsupported_op():
    def no_backward(function, argnums):
        def run(*point):
            function(*(refgrad.Value(x) for x in point))
            raise NotImplementedError("VJP of tanh not defined")

        return run

    target = function_target(transform=no_backward)
    assert target.unsupported_ops == {}
    [outcome] = target.evaluate(PRODUCT, [(1.0, 2.0)])
    assert outcome.error == "NotImplementedError: VJP of tanh not defined"


def test_an_engine_without_arithmetic_cannot_be_tested():
    calls = {**PYTHON_CALLS, "mul": operator.matmul}
    with pytest.raises(TargetLoadError, match=r"lacks required arithmetic \(mul: mul\(x0, x1\)"):
        function_target(calls)


def test_a_transform_that_fails_before_running_f_cannot_be_tested():
    def broken(function, argnums):
        raise TypeError("value_and_grad() got an unexpected keyword argument 'argnums'")

    with pytest.raises(TargetLoadError, match="failed before running f"):
        function_target(transform=broken)


def test_unknown_ops_in_the_calls_are_load_errors():
    with pytest.raises(TargetLoadError, match=r"unknown ops \['sigmod'\]"):
        function_target({**PYTHON_CALLS, "sigmod": lambda v: v})


def breaking(change):
    """A transform whose results pass through ``change(value, partials)``."""

    def transform(function, argnums):
        inner = refgrad.value_and_grad(function, argnums=argnums)
        return lambda *point: change(*inner(*point))

    return transform


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v, p: (v, (np.float32(p[0]), p[1])), "d/dx0 is a float32, not float64"),
        (
            lambda v, p: (v, (p[0], np.array([p[1], p[1]]))),
            "d/dx1 is a ndarray of shape (2,), not a scalar",
        ),
        (
            lambda v, p: (np.array(v, dtype=np.float32), p),
            "the value is a ndarray of dtype float32, not float64",
        ),
        (lambda v, p: (v, (p[0], None)), "d/dx1 is missing (None)"),
        (lambda v, p: (v, (complex(p[0]), p[1])), "d/dx0 is a complex, not a float64 scalar"),
        (lambda v, p: (v, p[:1]), "1 partials for 2 inputs"),
        (lambda v, p: (v, p[0]), "the partials are a float, not a sequence with one per input"),
        (lambda v, p: v, "the gradient function returned a float, not a (value, partials) pair"),
    ],
)
def test_protocol_breaks_of_a_function_engine_are_failed_outcomes(change, message):
    target = function_target(transform=breaking(change))
    [outcome] = target.evaluate(PRODUCT, [(1.5, 2.0)])
    assert outcome.error == f"ProtocolError: {message}"


def test_zero_dimensional_float64_arrays_are_scalars():
    def as_arrays(value, partials):
        return np.asarray(value), tuple(np.asarray(p) for p in partials)

    target = function_target(transform=breaking(as_arrays))
    [outcome] = target.evaluate(PRODUCT, [(1.5, 2.0)])
    assert (outcome.value, outcome.gradient) == (3.0, (2.0, 1.5))


def test_a_crashing_function_engine_fails_every_point_it_crashes_on():
    def crash_on_negative(function, argnums):
        inner = refgrad.value_and_grad(function, argnums=argnums)

        def run(*point):
            if point[0] < 0:
                raise RuntimeError("boom")
            return inner(*point)

        return run

    target = function_target(transform=crash_on_negative)
    good, bad = target.evaluate(PRODUCT, [(1.0, 2.0), (-1.0, 2.0)])
    assert good.ok and bad.error == "RuntimeError: boom"


# --- the tensor protocol -----------------------------------------------------------------------


def test_a_tensor_target_reads_values_and_grads():
    target = tensor_target()
    assert target.unsupported_ops == {}
    [outcome] = target.evaluate(SINE_OF_PRODUCT, [(0.5, 2.0)])
    assert outcome.value == math.sin(1.0)
    assert outcome.gradient == (2.0 * math.cos(1.0), 0.5 * math.cos(1.0))


def test_a_leaf_the_output_does_not_depend_on_has_no_grad_and_a_zero_partial():
    [outcome] = tensor_target().evaluate(FIRST_INPUT_ONLY, [(1.0, 2.0)])
    assert outcome.gradient == (3.0, 0.0)


def test_tensor_probing_lists_unsupported_ops_with_reasons():
    calls = {**PYTHON_CALLS, "relu": lambda t: t.relu_not_here(), "abs": lambda t: 1.0}
    del calls["cos"]
    target = tensor_target(calls=calls)
    assert target.unsupported_ops["cos"] == "the adapter has no function for cos"
    assert target.unsupported_ops["relu"].startswith("relu(x0) raises AttributeError")
    assert target.unsupported_ops["abs"] == "abs(x0) returns a float, not a tensor with .backward()"


def detaching_mul(a, b):
    """A ``*`` that cuts the graph: the leaves get no gradient at all."""
    return (a * b).detach().requires_grad_()


@pytest.mark.parametrize(
    ("leaf", "calls", "message"),
    [
        (
            lambda x: torch_leaf(x, torch.float32),
            PYTHON_CALLS,
            "ProtocolError: the output is a Tensor of dtype torch.float32, not float64",
        ),
        (
            lambda x: torch.tensor([x], dtype=torch.float64, requires_grad=True),
            PYTHON_CALLS,
            "ProtocolError: the output is a Tensor of shape (1,), not a scalar",
        ),
        (
            lambda x: torch.tensor(x, dtype=torch.float64),
            PYTHON_CALLS,
            "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn",
        ),
        (torch_leaf, {**PYTHON_CALLS, "mul": detaching_mul}, "ProtocolError: x0.grad is missing"),
    ],
)
def test_protocol_breaks_of_a_tensor_engine_are_failed_outcomes(leaf, calls, message):
    target = tensor_target(leaf, calls)
    [outcome] = target.evaluate(PRODUCT, [(1.5, 2.0)])
    assert outcome.error.startswith(message)


# --- custom adapters from a file ---------------------------------------------------------------

CUSTOM_ADAPTER = '''
"""A custom adapter: any object with name, supported_ops, unsupported_ops and evaluate."""

import refgrad
from oracle.ops import PYTHON_CALLS
from oracle.outcome import Outcome
from oracle.targets.function_protocol import FunctionProtocolTarget


class RefgradStaticTarget:
    name = "refgrad-static-by-hand"
    supported_ops = ("add", "sub", "mul", "tanh")
    unsupported_ops = {"div": "not wired up in this adapter"}

    def evaluate(self, program, points):
        inputs = tuple(range(program.n_inputs))
        function = refgrad.value_and_grad(lambda *x: program.run(x), argnums=inputs, mode="static")
        outcomes = []
        for point in points:
            value, gradient = function(*point)
            outcomes.append(Outcome(value, tuple(gradient)))
        return outcomes


custom = RefgradStaticTarget()
function = FunctionProtocolTarget(
    "refgrad-by-function",
    {op: PYTHON_CALLS[op] for op in ("add", "sub", "mul", "tanh", "exp")},
    lambda f, argnums: refgrad.value_and_grad(f, argnums=argnums),
)
'''


@pytest.fixture(scope="module")
def adapter_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("adapter") / "my_adapter.py"
    path.write_text(CUSTOM_ADAPTER)
    return path


def test_a_custom_target_class_loads_from_a_file_and_runs_a_campaign(adapter_file):
    target = targets.load(f"{adapter_file}:custom")
    assert target.name == "refgrad-static-by-hand"
    settings = Settings(families=("smooth",), max_examples=10, references=("torch",))
    result = Campaign(target, settings).run()
    assert result.exit_code == 0
    assert result.unsupported_ops == {"div": "not wired up in this adapter"}
    assert set(result.supported_ops) == {"add", "sub", "mul", "tanh"}


def test_a_function_protocol_target_loads_from_a_file(adapter_file):
    target = targets.load(f"{adapter_file}:function")
    assert isinstance(target, FunctionProtocolTarget)
    assert target.supported_ops == ("add", "sub", "mul", "tanh", "exp")
    assert target.unsupported_ops["log"] == "the adapter has no function for log"


# --- built-in names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "library", "protocol"),
    [
        ("autograd", "autograd", FunctionProtocolTarget),
        ("mygrad", "mygrad", TensorProtocolTarget),
        ("torch-tensor", "torch", TensorProtocolTarget),
    ],
)
def test_published_engines_are_built_in_names(name, library, protocol):
    pytest.importorskip(library)
    target = targets.load(name)
    assert isinstance(target, protocol) and target.name == name
    assert target.supported_ops == tuple(OPS)  # every op, natively or by a formula
    [outcome] = target.evaluate(SINE_OF_PRODUCT, [(0.5, 2.0)])
    assert outcome.gradient == pytest.approx((2.0 * math.cos(1.0), 0.5 * math.cos(1.0)))


@pytest.mark.parametrize("name", ["autograd", "mygrad"])
def test_a_missing_published_engine_names_the_pip_install(name, monkeypatch):
    monkeypatch.setitem(sys.modules, name, None)  # makes "import name" fail
    with pytest.raises(TargetLoadError, match=rf"needs '{name}': pip install 'refgrad\[engines\]'"):
        targets.load(name)
