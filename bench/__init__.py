"""Benchmark: `python -m bench [--articles N] [--out FILE.json]` (see bench/__main__.py)."""
