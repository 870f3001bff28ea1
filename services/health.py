"""What the health endpoint reports about the models."""

from __future__ import annotations

TASKS = ("exam-score", "dropout")


def model_status() -> dict[str, str]:
    """Per task, the serving model version, or why none serves."""
    return {task: "not trained" for task in TASKS}
