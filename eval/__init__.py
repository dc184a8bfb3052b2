"""Scoring extraction systems against Communiqué's gold layers (definitions in eval/README.md)."""
