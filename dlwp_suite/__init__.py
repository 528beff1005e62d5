"""dlwp-suite: reproducibility benchmarks for *Deep Learning with Python*."""

__version__ = "0.1.0"
