"""Courses for the worklist's tests: learners at set probabilities and segments, tutored by someone."""

from __future__ import annotations

from db.early_warning import EnrollmentPrediction
from db.tutoring import CourseTutor
from tests.helpers import scored_course


def tutored_course(code: str, learners: list[tuple[float, str]], tutor_id: int, today: int = 20, days=None):
    """A running course scored at day 14 (and the other `days`: day -> probabilities, all steady),
    learner i at learners[i] = (probability, segment), tutored by `tutor_id`; its learner ids."""
    scores = {day: (day, probabilities) for day, probabilities in (days or {}).items()}
    scores[14] = (14, [probability for probability, _ in learners])
    course, ids = scored_course(code, scores, {i: [] for i in range(len(learners))}, today=today)
    for i, (_, segment) in enumerate(learners):
        EnrollmentPrediction.update(segment=segment).where(
            (EnrollmentPrediction.enrollment == ids[f"{code}-L{i}"]) & (EnrollmentPrediction.day == 14)
        ).execute()
    CourseTutor.create(course=course.id, user=tutor_id)
    return ids
