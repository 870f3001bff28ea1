"""The Course page's at-risk grid asks for its rows a block at a time (the grid's rows callback over
HTTP, signed in as the course's tutor): the blocks are consecutive slices of one order, and what
changed between two blocks (a new action, a new scoring run, activity stored) is in the next block,
never old rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.courses import Course
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User, utcnow
from db.tutoring import CourseTutor
from modelling.levels import RISK_LEVELS, level_for
from services.tutoring import actions
from tests.helpers import scored_course

LEARNERS = 150  # a block is 100 rows: two blocks
CODE = "BLOCKS"


def _probabilities(step: int) -> list[float]:
    """A distinct probability per learner (no ties: one order), shuffled by `step`."""
    return [round(0.02 + 0.96 * ((i * step) % LEARNERS) / LEARNERS, 4) for i in range(LEARNERS)]


def _ranked(probabilities: list[float]) -> list[str]:
    """The learners as the list orders them by default: highest probability first."""
    return [f"{CODE}-L{i}" for i in sorted(range(LEARNERS), key=lambda i: -probabilities[i])]


@pytest.fixture
def tutor(app, client, make_user):
    """A tutor of the course (day 20; scored at days 7 and 14; every learner active on day 1 only),
    signed in on `client`; (user, enrollment ids, the course's start date)."""
    admin, account = make_user("admin"), make_user("tutor")
    with app.app_context():
        scores = {7: (7, _probabilities(7)), 14: (14, _probabilities(37))}
        course, ids = scored_course(CODE, scores, {i: [1] for i in range(LEARNERS)})
        CourseTutor.create(course=course, user=account.id, assigned_by=admin.id)
    assert client.post("/api/v1/auth/login", json=account.login_json()).status_code == 200
    return account, ids, course.start_date


def _block(client, start: int, end: int, sort: list[dict] | None = None, filters: dict | None = None):
    """One block as the grid asks for it: (learners in order, the rows, rowCount, the count line)."""
    body = {
        "output": "..course-grid.getRowsResponse...course-count.children..",
        "outputs": [
            {"id": "course-grid", "property": "getRowsResponse"},
            {"id": "course-count", "property": "children"},
        ],
        "inputs": [
            {
                "id": "course-grid",
                "property": "getRowsRequest",
                "value": {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": {}},
            }
        ],
        "state": [
            {"id": "course-filters", "property": "data", "value": filters or {}},
            {"id": "course-code", "property": "data", "value": CODE},
        ],
        "changedPropIds": ["course-grid.getRowsRequest"],
    }
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.json["response"]
    rows = answer["course-grid"]["getRowsResponse"]
    learners = [row["learner"] for row in rows["rowData"]]
    by_learner = {row["learner"]: row for row in rows["rowData"]}
    return learners, by_learner, rows["rowCount"], answer["course-count"]["children"]


def _score(app, day: int, probabilities: list[float], ids: dict[str, int]) -> None:
    """A new scoring run storing every learner's probability at `day` (a day scored again is replaced)."""
    with app.app_context():
        run = ScoringRun.create(trigger="cli", run_date=utcnow().date())
        course = Course.get(Course.code == CODE).id
        EnrollmentPrediction.upsert_many(
            [
                {
                    "enrollment": ids[f"{CODE}-L{i}"],
                    "course": course,
                    "day": day,
                    "checkpoint": day,
                    "probability": p,
                    "risk_level": level_for(p, RISK_LEVELS),
                    "top_factors": [{"feature": "x", "text": f"reason {i} at {day}"}],
                    "model_version": None,
                    "run": run.id,
                    "created_at": utcnow(),
                }
                for i, p in enumerate(probabilities)
            ]
        )
        run.finish("succeeded")


@pytest.mark.parametrize("sort", [[], [{"colId": "learner", "sort": "desc"}]])
def test_two_blocks_are_consecutive_slices_of_the_same_order(app, client, tutor, sort):
    first, _, count, _ = _block(client, 0, 100, sort)
    second, _, again, _ = _block(client, 100, 200, sort)
    by_ref = sorted((f"{CODE}-L{i}" for i in range(LEARNERS)), reverse=True)
    expected = by_ref if sort else _ranked(_probabilities(37))
    assert (count, again) == (LEARNERS, LEARNERS)
    assert (len(first), len(second)) == (100, 50) and not set(first) & set(second)
    assert first + second == expected


def test_a_new_action_shows_in_the_next_block(app, client, tutor):
    account, ids, _ = tutor
    order = _ranked(_probabilities(37))
    later = order[120]  # in the second block
    _, _, count, _ = _block(client, 0, 100, filters={"no_action": True})
    assert count == LEARNERS
    with app.app_context():
        actions.record_actions(User.get_by_id(account.id), [ids[later]], "contacted", "called", "phone")
    learners, _, count, _ = _block(client, 100, 200, filters={"no_action": True})
    assert count == LEARNERS - 1 and later not in learners
    assert learners == [ref for ref in order if ref != later][100:]
    _, rows, _, _ = _block(client, 100, 200)
    assert rows[later]["last_action"].startswith(f"Contacted (phone) by {account.username}")


def test_a_new_scoring_run_shows_in_the_next_block(app, client, tutor):
    _, ids, _ = tutor
    first, _, _, text = _block(client, 0, 100)
    assert first == _ranked(_probabilities(37))[:100] and "at day 14; change since day 7" in text
    rescored = _probabilities(53)  # day 14 scored again: the same rows, replaced
    _score(app, 14, rescored, ids)
    second, rows, _, _ = _block(client, 100, 200)
    assert second == _ranked(rescored)[100:]
    assert rows[second[0]]["probability"] == f"{rescored[int(second[0].rsplit('L', 1)[1])]:.1%}"
    newest = _probabilities(71)  # a new checkpoint
    _score(app, 21, newest, ids)
    second, _, _, text = _block(client, 100, 200)
    assert second == _ranked(newest)[100:] and "at day 21; change since day 14" in text


def test_activity_stored_meanwhile_shows_in_the_next_block(app, client, tutor, make_user):
    _, _, start = tutor
    later = _ranked(_probabilities(37))[130]
    _, rows, _, _ = _block(client, 100, 200)
    assert rows[later]["inactive"] == "13"  # last active on day 1, listed at day 14
    event = {"enrollment_id": later, "course_id": CODE, "event": "video"}
    event["time"] = f"{(start + timedelta(days=10)).isoformat()}T12:00:00Z"
    platform = app.test_client()  # an administrator pushing the platform's events, not the tutor's session
    token = platform.post("/api/v1/auth/login", json=make_user("admin").login_json()).json["access_token"]
    pushed = platform.post(
        "/api/v1/activity", json={"events": [event]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert pushed.status_code == 200 and pushed.json["accepted"] == 1, pushed.json
    _, rows, _, _ = _block(client, 100, 200)
    assert rows[later]["inactive"] == "4"
