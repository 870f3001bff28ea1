"""Which of a course's scored days stand for its checkpoints: the one rule the Courses, Course and
At-risk views and the outcomes report read the stored history by.

With daily scoring, days 7..13 of a course are all scored with checkpoint 7's model; the latest of
them stands for checkpoint 7, and the checkpoint before a day is the one standing before it."""

from __future__ import annotations

from modelling.tasks import EARLY_WARNING


def latest_day_per_checkpoint(checkpoints: dict[int, int]) -> dict[int, int]:
    """Checkpoint -> the latest day scored with its model, from each scored day's checkpoint."""
    latest: dict[int, int] = {}
    for day, checkpoint in checkpoints.items():
        latest[checkpoint] = max(day, latest.get(checkpoint, day))
    return latest


def checkpoint_days(checkpoints: dict[int, int]) -> list[int]:
    """The scored days standing for each checkpoint, in order."""
    return sorted(latest_day_per_checkpoint(checkpoints).values())


def days_up_to(checkpoints: dict[int, int], day: int) -> list[int]:
    """The days standing for the checkpoints before scored day `day`, then `day` itself: the days a
    trajectory up to `day` reads (the one before `day`, if any, is its previous checkpoint)."""
    return [standing for standing in checkpoint_days(checkpoints) if standing < day] + [day]


def previous_checkpoint_day(checkpoints: dict[int, int], day: int) -> int | None:
    """The day standing for the checkpoint before scored day `day`'s, None when there is none."""
    days = days_up_to(checkpoints, day)
    return days[-2] if len(days) > 1 else None


def as_of_day(course_days: int, day: int, checkpoint: int | None) -> int:
    """The day a prediction at `day` is as of: its checkpoint's day in a course of `course_days` days
    (the model read days 0..as_of-1; with daily scoring, days 7..13 are all read as of day 7)."""
    return min(day, EARLY_WARNING.course.checkpoint_map(course_days).get(checkpoint, day))
