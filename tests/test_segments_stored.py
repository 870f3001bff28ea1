"""Segments and ranks as scoring stores them, and as the at-risk endpoint, the Course page's export and
`score-enrollments` give them out."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from db.courses import Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import User, utcnow
from services import course_overview
from services.course_overview import AtRiskFilters
from tests.helpers import assert_error, early_warning_version, store_course
from tests.segments_data import DAY, EXPECTED, segmented_counts, segmented_course


def stored(course) -> dict[str, tuple]:
    """Learner (without the course prefix) -> (segment, rank_in_course, probability) stored."""
    query = (
        EnrollmentPrediction.select(
            Enrollment.learner_ref,
            EnrollmentPrediction.segment,
            EnrollmentPrediction.rank_in_course,
            EnrollmentPrediction.probability,
        )
        .join(Enrollment)
        .where(EnrollmentPrediction.course == course)
    )
    return {ref.split("-")[-1]: rest for ref, *rest in query.tuples()}


def test_scoring_stores_each_enrollments_segment_and_rank_in_the_course(app):
    early_warning_version(app)
    with app.app_context():
        course, _ = segmented_course("SEG")
        rows = stored(course)
    assert {learner: segment for learner, (segment, _, _) in rows.items()} == EXPECTED
    for learner, (_, rank, probability) in rows.items():
        higher = sum(other > probability for _, _, other in rows.values())
        assert rank == higher + 1, (learner, rows)
    assert rows["L3"][1] == rows["L4"][1]  # the same probability shares the smaller rank
    assert sorted(rank for _, rank, _ in rows.values())[0] == 1


def test_score_enrollments_writes_each_rows_segment_and_rank(app, tmp_path):
    early_warning_version(app)
    with app.app_context():
        course = store_course("SEGCLI", segmented_counts(), start=utcnow().date() - timedelta(days=DAY))
    out = tmp_path / "scores.csv"
    result = app.test_cli_runner().invoke(
        args=["score-enrollments", "--day", str(DAY), "--out", str(out), "--course", "SEGCLI"]
    )
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-2:] == ["segment", "rank_in_course"]
    written = {row["enrollment_id"].split("-")[-1]: row for row in rows}
    assert {learner: row["segment"] for learner, row in written.items()} == EXPECTED
    with app.app_context():
        kept = stored(course)
    assert {learner: int(row["rank_in_course"]) for learner, row in written.items()} == {
        learner: rank for learner, (_, rank, _) in kept.items()
    }


def test_the_at_risk_endpoint_gives_each_segment_and_filters_by_one(app, client, make_user, bearer):
    early_warning_version(app)
    headers = bearer(make_user("admin"))
    with app.app_context():
        segmented_course("SEGAPI")
    body = client.get("/api/v1/courses/SEGAPI/at-risk", headers=headers).json
    segments = {item["learner_ref"].split("-")[-1]: item["segment"] for item in body["items"]}
    assert segments == EXPECTED
    assert [item["rank_in_course"] for item in body["items"]][0] == 1
    quiet = client.get("/api/v1/courses/SEGAPI/at-risk?segment=gone_quiet", headers=headers)
    assert quiet.status_code == 200, quiet.json
    assert [item["learner_ref"] for item in quiet.json["items"]] == ["SEGAPI-L1"]
    steady = client.get("/api/v1/courses/SEGAPI/at-risk?segment=steady&day=14", headers=headers).json
    assert sorted(item["learner_ref"] for item in steady["items"]) == ["SEGAPI-L3", "SEGAPI-L4"]


@pytest.mark.parametrize("value", ["quiet", "Gone quiet", "", "steady "])
def test_an_unknown_segment_is_refused_with_the_field_named(app, client, make_user, bearer, value):
    headers = bearer(make_user("admin"))
    error = assert_error(client.get(f"/api/v1/courses/ANY/at-risk?segment={value}", headers=headers), 400)
    assert "segment" in error["fields"] and "gone_quiet" in error["fields"]["segment"]


def test_the_course_pages_export_has_segment_and_rank_columns_and_filters_by_segment(app, make_user):
    early_warning_version(app)
    account = make_user("admin")
    with app.app_context():
        admin = User.get_by_id(account.id)
        course, _ = segmented_course("SEGCSV")
        ranks = {learner: rank for learner, (_, rank, _) in stored(course).items()}
        text = course_overview.at_risk_csv(admin, "SEGCSV")
        slipping = course_overview.at_risk_csv(admin, "SEGCSV", AtRiskFilters(segment="slipping"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"Segment", "Rank in course"} <= set(rows[0])
    labels = {"not_started": "Not started", "gone_quiet": "Gone quiet", "slipping": "Slipping"}
    for row in rows:
        learner = row["Learner"].split("-")[-1]
        assert row["Segment"] == labels.get(EXPECTED[learner], "Steady")
        assert int(row["Rank in course"]) == ranks[learner]
    assert [row["Learner"] for row in csv.DictReader(io.StringIO(slipping))] == ["SEGCSV-L2"]


def test_an_older_predictions_table_gets_the_columns_and_keeps_its_rows_without_a_segment(app):
    from db import migrations
    from db.connection import database
    from db.tables import SchemaVersion
    from tests.helpers import scored_course

    with app.app_context():
        course, _ = scored_course("OLD", {14: (14, [0.2, 0.9])}, {0: [1], 1: []})
        database.execute_sql("ALTER TABLE enrollment_predictions DROP COLUMN segment")
        database.execute_sql("ALTER TABLE enrollment_predictions DROP COLUMN rank_in_course")
        SchemaVersion.delete().where(SchemaVersion.version >= 22).execute()
        try:
            assert migrations.upgrade() == [v for v, _, _ in migrations.MIGRATIONS if v >= 22]
            assert {learner: (segment, rank) for learner, (segment, rank, _) in stored(course).items()} == {
                "L0": (None, None),
                "L1": (None, None),
            }
        finally:
            if migrations.current_version() < migrations.latest_version():
                migrations.upgrade()
