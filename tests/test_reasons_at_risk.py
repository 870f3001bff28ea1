"""The at-risk list's reasons a tutor can trust: every learner has one, what is in their favour comes
apart, and the days since the last activity are counted on the same days as the reasons."""

from __future__ import annotations

import re
from datetime import timedelta

from db.tables import utcnow
from services.early_warning import scoring
from tests.helpers import dropout_counts, early_warning_version, store_course


def _course(code: str, today: int):
    counts, _ = dropout_counts(5, 40)
    counts[:, today:] = 0
    counts[0] = 0
    counts[0, 12, 0] = 2  # last active on day 12 as of day 14...
    counts[0, 15, 0] = 3  # ...and again on day 15, after the day the model read
    counts[1] = 0  # never active
    return store_course(code, counts, start=utcnow().date() - timedelta(days=today))


def test_the_at_risk_list_counts_inactivity_on_the_days_its_reasons_read(app, client, make_user, bearer):
    early_warning_version(app)
    headers = bearer(make_user("admin"))
    with app.app_context():
        _course("ASOF", 16)
        scoring.score_at_day("cli", 16, "ASOF")
    body = client.get("/api/v1/courses/ASOF/at-risk", headers=headers).json
    assert (body["day"], body["checkpoint"]) == (16, 14)
    items = {item["learner_ref"]: item for item in body["items"]}
    assert all(item["as_of_day"] == 14 for item in items.values())
    first, never = (items[ref] for ref in sorted(items)[:2])
    assert first["days_since_last_activity"] == 2, first  # day 14 - day 12, not day 16 - day 15
    assert never["days_since_last_activity"] is None
    for item in items.values():
        assert item["top_factors"], item  # every scored learner has a reason
        assert "favour" not in " ".join(item["top_factors"])
        for text in item["top_factors"]:
            said = re.match(r"(\d+) days? since the last activity", text)
            if said:
                assert int(said.group(1)) == item["days_since_last_activity"], item
            if text.startswith("not active yet"):
                assert item["days_since_last_activity"] is None, item
    assert any(item["in_favour"] for item in items.values())
    raising = [f for item in items.values() for f in item["factors"] if f["contribution"] is not None]
    assert all(f["contribution"] > 0 for f in raising)


def test_the_enrollment_page_gives_the_reasons_as_of_their_day_and_what_is_in_favour(app, make_user):
    from db.courses import Enrollment
    from db.tables import User
    from services.enrollment_timeline import enrollment_view

    early_warning_version(app)
    admin = make_user("admin")
    with app.app_context():
        course = _course("ASOF2", 16)
        scoring.score_at_day("cli", 16, "ASOF2")
        scoring.score_at_day("cli", 7, "ASOF2")
        enrollments = list(
            Enrollment.select().where(Enrollment.course == course).order_by(Enrollment.learner_ref)
        )
        views = [enrollment_view(User.get_by_id(admin.id), e.id)["risk"] for e in enrollments]
    assert all([row["as_of_day"] for row in risk] == [7, 14] for risk in views)
    assert all(row["reasons"] for risk in views for row in risk)
    assert any(row["in_favour"] for risk in views for row in risk)
