"""xAPI as learning platforms write it: reasons counted whole, the course found by its type, learners by
every identifier, the verb map, statement ids kept per store."""

from __future__ import annotations

import json

from services.ingest.runs import reason_kind


def _statement(verb: str, **overrides) -> dict:
    statement = {
        "actor": {"account": {"homePage": "https://lms.example.org", "name": "learner-1"}},
        "verb": {"id": verb},
        "object": {"id": "https://lms.example.org/activity/1"},
        "context": {"contextActivities": {"parent": [{"id": "course-1"}]}},
        "timestamp": "2024-03-01T10:00:00Z",
    }
    statement.update(overrides)
    return statement


def test_reason_kinds_keep_iris_whole_and_drop_the_statement_label():
    assert reason_kind("statement 12: unknown event type 'http://example.org/verbs/danced'") == (
        "unknown event type 'http://example.org/verbs/danced'"
    )
    assert reason_kind("statement 3: malformed JSON: Expecting value; the rest") == "malformed JSON"
    assert reason_kind("outside the course window: day 7 of a 5-day course") == "outside the course window"


def test_an_array_import_counts_rejections_by_their_kind(app, tmp_path):
    from services.ingest import import_file

    danced, sang = "http://example.org/verbs/danced", "http://example.org/verbs/sang"
    items = [_statement(danced), _statement(danced), _statement(sang), _statement("http://adlnet.gov/expapi/verbs/answered")]
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(items))
    with app.app_context():
        report = import_file(path, fmt="xapi")
    assert report.rows_imported == 1
    assert report.reasons == {f"unknown event type {danced!r}": 2, f"unknown event type {sang!r}": 1}
