"""Benchmarks: speed figures side by side with the bare library underneath, as ratios.

Run with `make bench` or `python -m bench [NAME ...]`. Nothing here asserts a timing; goals are
printed next to the figures so a reader can see where the coach stands.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
