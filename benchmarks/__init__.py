"""Benchmarks of twin: ``python -m benchmarks NAME``.

Each benchmark prints a readable table and, as its last line, one JSON object with its
figures (throughputs, and ratios against a baseline measured in the same run).
"""
