"""Benchmarks: measure and report (never assert). `python -m bench --help`."""
