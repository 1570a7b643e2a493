"""refgrad: a reference scalar autograd engine.

``Value`` is the eager (dynamic-graph) engine; ``grad``, ``value_and_grad``, ``hessian`` and
``jvp`` (forward mode) are the functional door into every mode.
"""

from refgrad.api import compile, grad, hessian, jvp, value_and_grad
from refgrad.collector import collector_paused
from refgrad.modes import MODES
from refgrad.trace import TraceEscapeWarning
from refgrad.value import Value, is_grad_enabled, no_grad

__all__ = [
    "MODES",
    "TraceEscapeWarning",
    "Value",
    "collector_paused",
    "compile",
    "grad",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "no_grad",
    "value_and_grad",
]
__version__ = "0.1.0"
