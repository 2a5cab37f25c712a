"""Benchmarks: scripts that measure Haven against a baseline on real servers.

Run them as modules from the repository root, e.g. ``python -m bench.matrix_roundtrip``;
see bench/README.md.
"""
