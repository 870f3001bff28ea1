"""A user's saved predictions over time, their cohort percentile, and the records grid's window (SQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

START = datetime(2026, 3, 1, 9, 0)


@pytest.fixture
def store(app):
    """Insert records directly: store(user_id, task, value, days=0, level=..., ref=...) -> id."""
    from db.tables import Record

    def add(user_id: int, task: str, value: float, days: float = 0, level: str = "Average", ref=None) -> int:
        with app.app_context():
            return Record.add(
                user=user_id,
                task=task,
                student_ref=ref,
                inputs={},
                outputs={},
                model_version=1,
                value=value,
                level=level,
                created_at=START + timedelta(days=days),
            )

    return add


@pytest.fixture
def user(app):
    from db.tables import User

    def get(account):
        with app.app_context():
            return User.get_by_id(account.id)

    return get


def test_series_lists_each_record_oldest_first_and_only_the_users_own(app, make_user, store, user):
    from services import trends

    me, other = make_user(), make_user()
    store(me.id, "exam-score", 70, days=2)
    store(me.id, "exam-score", 60, days=0)
    store(me.id, "dropout", 0.3, days=1)
    store(other.id, "exam-score", 99, days=1)
    with app.app_context():
        data = trends.series(user(me), "exam-score")
    assert data["count"] == 2 and not data["daily"]
    assert [p["value"] for p in data["points"]] == [60, 70]
    assert data["points"][0]["when"] == START


def test_series_is_one_point_per_day_beyond_the_limit(app, make_user, store, user, monkeypatch):
    from services import trends

    monkeypatch.setattr(trends, "MAX_POINTS", 3)
    me = make_user()
    for value, days in [(50, 0), (70, 0.1), (60, 1), (80, 2.5), (90, 2.6)]:
        store(me.id, "exam-score", value, days=days)
    with app.app_context():
        data = trends.series(user(me), "exam-score")
    assert data["daily"] and data["count"] == 5
    assert [(p["when"].date(), p["n"], p["low"], p["high"]) for p in data["points"]] == [
        (date(2026, 3, 1), 2, 50, 70),
        (date(2026, 3, 2), 1, 60, 60),
        (date(2026, 3, 3), 2, 80, 90),
    ]
    assert data["points"][0]["value"] == pytest.approx(60)


def test_date_window_includes_both_days(app, make_user, store, user):
    from services import trends

    me = make_user()
    for days in range(5):
        store(me.id, "exam-score", 60 + days, days=days)
    with app.app_context():
        data = trends.series(user(me), "exam-score", date(2026, 3, 2), date(2026, 3, 4))
        overview = trends.overview(user(me), "exam-score", date(2026, 3, 2), date(2026, 3, 4))
        nothing = trends.overview(user(me), "exam-score", date(2027, 1, 1), None)
    assert [p["value"] for p in data["points"]] == [61, 62, 63]
    assert overview["count"] == 3 and overview["mean"] == pytest.approx(62)
    assert overview["first"]["value"] == 61 and overview["latest"]["value"] == 63
    assert nothing is None


def test_percentile_ranks_the_users_mean_among_every_users_mean(app, make_user, store, user):
    from services import trends

    low, middle, high, lonely = make_user(), make_user(), make_user(), make_user()
    for account, values in ((low, [40, 50]), (middle, [60, 70, 65]), (high, [90])):
        for value in values:
            store(account.id, "exam-score", value)
    store(lonely.id, "dropout", 0.2)
    with app.app_context():
        assert trends.percentile(user(low), "exam-score") == {
            "percentile": pytest.approx(16.7),
            "users": 3,
            "mean": 45,
        }
        assert trends.percentile(user(middle), "exam-score")["percentile"] == pytest.approx(50.0)
        assert trends.percentile(user(high), "exam-score")["percentile"] == pytest.approx(83.3)
        assert trends.percentile(user(lonely), "exam-score") is None
        assert trends.percentile(user(lonely), "dropout") == {"percentile": 50.0, "users": 1, "mean": 0.2}


def test_percentile_counts_ties_as_half(app, make_user, store, user):
    from services import trends

    a, b = make_user(), make_user()
    store(a.id, "exam-score", 70)
    store(b.id, "exam-score", 70)
    with app.app_context():
        assert trends.percentile(user(a), "exam-score")["percentile"] == 50.0


def test_recent_values_and_latest_record(app, make_user, store, user):
    from services import trends

    me = make_user()
    ids = [store(me.id, "dropout", v / 10, days=v) for v in range(6)]
    with app.app_context():
        recent = trends.recent_values(user(me), "dropout", limit=3)
        latest = trends.latest_record(user(me), "dropout")
        none = trends.latest_record(user(me), "exam-score")
    assert [p["value"] for p in recent] == [0.3, 0.4, 0.5]
    assert latest.id == ids[-1] and none is None


def test_unknown_task_is_refused(app, make_user, user):
    from services import trends
    from services.errors import NotFound

    me = make_user()
    with app.app_context(), pytest.raises(NotFound):
        trends.series(user(me), "height")


def test_records_window_pages_and_sorts_in_sql_within_what_the_viewer_may_see(app, make_user, store, user):
    from services.records import RecordFilters, records_window

    me, other, admin = make_user(), make_user(), make_user("admin")
    for i, value in enumerate([72.5, 55.0, 91.0, 64.0, 80.0]):
        store(me.id, "exam-score", value, days=i, ref=f"R{i}")
    store(other.id, "exam-score", 99.0, ref="THEIRS")
    with app.app_context():
        newest, total = records_window(user(me), RecordFilters(), 0, 2)
        by_value, _ = records_window(user(me), RecordFilters(), 1, 4, [{"colId": "value", "sort": "asc"}])
        descending, _ = records_window(user(me), RecordFilters(), 0, 1, [{"colId": "value", "sort": "desc"}])
        ignored, _ = records_window(user(me), RecordFilters(), 0, 1, [{"colId": "inputs", "sort": "asc"}])
        everyone, all_total = records_window(user(admin), RecordFilters(), 0, 10)
        theirs, their_total = records_window(user(admin), RecordFilters(user_id=other.id), 0, 10)
        filtered, filtered_total = records_window(user(me), RecordFilters(student_ref="R3"), 0, 10)
    assert total == 5 and [r["student_ref"] for r in newest] == ["R4", "R3"]
    assert [r["value"] for r in by_value] == [64.0, 72.5, 80.0]
    assert descending[0]["value"] == 91.0 and ignored[0]["student_ref"] == "R4"
    assert all_total == 6 and {r["username"] for r in everyone} == {me.username, other.username}
    assert their_total == 1 and theirs[0]["student_ref"] == "THEIRS"
    assert filtered_total == 1 and filtered[0]["value"] == 64.0
    assert set(newest[0]) == {
        "id",
        "created_at",
        "task",
        "student_ref",
        "value",
        "level",
        "model_version",
        "username",
    }


def test_sorting_by_value_keeps_points_and_probabilities_apart(app, make_user, store, user):
    from services.records import RecordFilters, records_window

    me = make_user()
    for task, value in (("exam-score", 72.5), ("dropout", 0.9), ("exam-score", 40.0), ("dropout", 0.1)):
        store(me.id, task, value)
    with app.app_context():
        rows, _ = records_window(user(me), RecordFilters(), 0, 10, [{"colId": "value", "sort": "desc"}])
        dropout_only, _ = records_window(
            user(me), RecordFilters(task="dropout"), 0, 10, [{"colId": "value", "sort": "desc"}]
        )
    assert [(r["task"], r["value"]) for r in rows] == [
        ("dropout", 0.9),
        ("dropout", 0.1),
        ("exam-score", 72.5),
        ("exam-score", 40.0),
    ]
    assert [r["value"] for r in dropout_only] == [0.9, 0.1]
