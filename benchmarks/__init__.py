"""Benchmarks: genlib against its peers and published numbers. Run ``python -m benchmarks.<topic> [--quick]``."""
