"""``hessian`` in the static and compiled modes: the traced graph differentiated twice as a
graph. Against eager mode on random programs, with guards, and where tracing escapes."""

import math
import warnings

import pytest
from hypothesis import assume, given

import refgrad
from refgrad import TraceEscapeWarning
from tests.programs import is_finite_and_moderate, points, programs

STAGED = ("static", "compiled")


PROGRAMS_AND_POINTS = programs(max_inputs=3, max_steps=8).flatmap(
    lambda program: points(program.n_inputs).map(lambda point: (program, point))
)


@pytest.mark.parametrize("mode", STAGED)
@given(data=PROGRAMS_AND_POINTS)
def test_staged_hessian_matches_eager_on_random_programs(mode, data):
    program, point = data

    def f(*inputs):
        return program.run(inputs)

    eager = refgrad.hessian(f)(*point)
    assume(all(is_finite_and_moderate(entry) for row in eager for entry in row))
    staged = refgrad.hessian(f, mode=mode)(*point)
    for eager_row, staged_row in zip(eager, staged, strict=True):
        for a, b in zip(eager_row, staged_row, strict=True):
            # Second-order paths may be summed in another order once the graph is simplified.
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (eager, staged, program)


def branchy(x):
    return x * x * x if x > 0 else x * x


@pytest.mark.parametrize("mode", STAGED)
def test_each_path_gets_its_own_traced_hessian(mode):
    hessian = refgrad.hessian(branchy, mode=mode)
    assert hessian(3.0) == ((18.0,),)
    assert hessian(-3.0) == ((2.0,),)
    assert hessian(2.0) == ((12.0,),)
    assert len(hessian.__wrapped_runner__.specialisations[(1, (0,), (), ())]) == 2


@pytest.mark.parametrize("mode", STAGED)
def test_an_escaping_trace_falls_back_to_eager_with_a_warning(mode):
    def reads_a_number(x, y):
        scale = 2.0 if x.data > 0 else 3.0
        return scale * x * x * y

    hessian = refgrad.hessian(reads_a_number, mode=mode)
    with pytest.warns(TraceEscapeWarning):
        assert hessian(1.0, 5.0) == ((20.0, 4.0), (4.0, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then eager quietly
        assert hessian(-1.0, 5.0) == ((30.0, -6.0), (-6.0, 0.0))


def test_argnums_narrow_the_staged_hessian():
    f = lambda x, y, z: x * y * z
    assert refgrad.hessian(f, argnums=(0, 2), mode="compiled")(1.0, 2.0, 3.0) == (
        (0.0, 2.0),
        (2.0, 0.0),
    )


def test_batched_hessian_is_a_clear_error():
    with pytest.raises(ValueError, match="hessian runs in modes 'eager', 'static', 'compiled'"):
        refgrad.hessian(lambda x: x * x, mode="batched")
