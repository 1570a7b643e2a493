"""oracle: differential testing for autodiff engines.

Random expression DAGs are checked against PyTorch, JAX, finite differences and a
high-precision ground truth. The harness lands in later work; this package is reserved.
"""
