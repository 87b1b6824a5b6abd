"""Benchmarks for xo: figures, not pass/fail. Run them all with `python -m benchmarks`."""
