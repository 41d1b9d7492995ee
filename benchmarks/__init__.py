"""The benchmark suite (``pytest benchmarks/``): bench_*.py files here, their support code in ``benchmarks.support``."""
