"""Benchmarks of the Filed provider against the emulator: ``make bench`` / ``make bench-quick`` (see run.py)."""
