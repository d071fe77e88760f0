"""The cores this process may use: what the work that can run side by side (the themes' model,
the export's slices) is sized by."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may use (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
