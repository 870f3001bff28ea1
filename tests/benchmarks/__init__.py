"""Benchmarks: run on purpose (python -m tests.benchmarks.<name>), never collected by pytest."""
