"""Benchmarks (`make bench`). Not imported by the app."""
