"""Evaluation harness: `python -m evals run` (see evals/README.md)."""
