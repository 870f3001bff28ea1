"""A learner's data on request: erased from every table of the schema, exported as a zip, through the
service, the API and the command line; administrators only; twice is harmless."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from tests.helpers import assert_error
from tests.learner_data import NOTE, REF, hold_everything, mentions


@pytest.fixture
def held(app, make_user):
    admin, tutor = make_user("admin"), make_user("tutor")
    return admin, tutor, hold_everything(app, admin.id, tutor.id)


def _erase(client, headers, **body):
    return client.post("/api/v1/learners/erase", json=body, headers=headers)


def test_an_erasure_leaves_nothing_naming_the_learner_in_any_table(app, client, bearer, held):
    from db.access_log import ERASED, AccessEntry
    from db.courses import Enrollment
    from db.ingest import ImportRun
    from db.tables import Activity, Record
    from db.tutoring import Notification
    from services.tutoring import notifications

    admin, tutor, ours = held
    erased = {ours["ER1"], ours["ER2"]}
    with app.app_context():
        assert {table for table, _ in mentions(REF, erased)} >= {
            "enrollments",
            "activity_days",
            "activity_event_keys",
            "enrollment_predictions",
            "enrollment_actions",
            "learner_contacts",
            "notifications",
            "records",
            "access_log",
            "import_runs",
        }
    response = _erase(client, bearer(admin), learner_ref=REF)
    assert response.status_code == 200, response.json
    counts = response.json["counts"]
    assert counts["enrollments"] == 2 and counts["activity_days"] == 14 and counts["records"] == 1
    assert counts["notifications"] == 1 and counts["access_log"] == 1 and counts["import_runs"] == 1
    with app.app_context():
        assert mentions(REF, erased) == []
        # Everyone else's data stays.
        assert Enrollment.select().count() == 3 and Record.select().count() == 1
        # The tutor's digest still lists the other learner, and "erased learner" where REF was.
        digest = Notification.get(Notification.user == tutor.id)
        listed = [learner["learner"] for learner in digest.payload["courses"][0]["learners"]]
        assert listed == [ERASED, "ER1-L2"]
        _, text, page = notifications.render_digest(digest, "http://ssa.example.org")
        assert f"{ERASED}: -." in text and ERASED in page and "ER1-L2" in text
        # The access log keeps the earlier view (of "erased learner") and the erasure: when, who, a hash.
        entries = {entry.action: entry for entry in AccessEntry.select()}
        assert entries["enrollment_view"].learner_ref == ERASED
        assert entries["enrollment_view"].username == tutor.username
        erasure = entries["erasure"]
        assert (erasure.username, erasure.learner_ref, erasure.channel) == (admin.username, None, "api")
        assert len(erasure.learner_hash) == 64
        assert Activity.get(Activity.action == "learner_erase").user_id == admin.id
        # The import's rejected line of the learner names "erased learner"; its other rejection stays.
        assert ImportRun.get().rejections == [
            [7, f"day outside the course window: {ERASED},ER1,2024-01-01"],
            [9, "malformed line: x"],
        ]


def test_erasing_twice_is_harmless(app, client, bearer, held):
    from db.access_log import AccessEntry

    admin, _, _ = held
    headers = bearer(admin)
    assert _erase(client, headers, learner_ref=REF).status_code == 200
    with app.app_context():
        before = AccessEntry.select().count()
    assert_error(_erase(client, headers, learner_ref=REF), 404, "not_found")
    result = app.test_cli_runner().invoke(args=["erase-learner", REF, "--yes"])
    assert result.exit_code == 0 and "Nothing to erase" in result.output
    with app.app_context():
        assert AccessEntry.select().count() == before


def test_one_course_erasure_keeps_the_learner_elsewhere(app, client, bearer, held):
    from db.courses import Enrollment
    from db.tables import Record

    admin, _, ours = held
    response = _erase(client, bearer(admin), learner_ref=REF, course="ER2")
    assert response.status_code == 200
    counts = response.json["counts"]
    assert counts["enrollments"] == 1 and counts["records"] == 0 and counts["import_runs"] == 0  # ER1's
    with app.app_context():
        assert mentions(REF, {ours["ER2"]}) != []  # ER1 and the saved prediction still name REF
        assert [e.id for e in Enrollment.select().where(Enrollment.learner_ref == REF)] == [ours["ER1"]]
        assert Record.select().where(Record.student_ref == REF).count() == 1


def test_the_export_holds_every_table_as_json_and_neutralised_csv(app, client, bearer, held):
    admin, _, ours = held
    response = client.get(f"/api/v1/learners/export?learner_ref={REF}", headers=bearer(admin))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    document = json.loads(bundle.read("learner.json"))
    tables = document["tables"]
    assert document["courses"] == ["ER1", "ER2"]
    assert sorted(row["id"] for row in tables["enrollments"]) == sorted([ours["ER1"], ours["ER2"]])
    assert len(tables["activity_days"]) == 14 and len(tables["enrollment_predictions"]) == 3
    assert tables["enrollment_predictions"][0]["top_factors"][0]["text"].startswith("reason 0")
    assert tables["learner_contacts"][0]["email"] == f"l{ours['ER1']}@example.org"
    assert tables["enrollment_actions"][0]["note"] == NOTE
    assert tables["activity_event_keys"][0]["keys"] == "07" * 16
    assert tables["notifications"][0]["learner"] == REF and tables["records"][0]["student_ref"] == REF
    assert [entry["action"] for entry in tables["access_log"]] == ["enrollment_view"]
    assert [row["line"] for row in tables["import_runs"]] == [7]
    assert sorted(bundle.namelist()) == sorted(["learner.json", *(f"{t}.csv" for t in tables)])
    actions = list(csv.DictReader(io.StringIO(bundle.read("enrollment_actions.csv").decode())))
    assert actions[0]["note"] == "'" + NOTE  # a formula cell neutralised, as in every CSV
    # Nothing else's: the other learner of ER1 is in no table.
    assert "ER1-L2" not in json.dumps(document["tables"]["enrollments"])
    # The export itself is in the access log now.
    log = client.get(f"/api/v1/learners/access-log?learner={REF}", headers=bearer(admin)).json
    assert [item["action"] for item in log["items"]] == ["export", "enrollment_view"]


def test_only_administrators_and_clear_errors(app, client, bearer, held):
    admin, tutor, _ = held
    assert_error(_erase(client, bearer(tutor), learner_ref=REF), 403)
    assert_error(client.get(f"/api/v1/learners/export?learner_ref={REF}", headers=bearer(tutor)), 403)
    headers = bearer(admin)
    assert_error(_erase(client, headers), 400)
    assert_error(_erase(client, headers, learner_ref="x" * 200), 400)
    assert_error(client.get("/api/v1/learners/export?learner_ref=%20", headers=headers), 400)
    assert_error(_erase(client, headers, learner_ref="nobody"), 404)
    assert_error(_erase(client, headers, learner_ref=REF, course="NOPE"), 404)
    dry = _erase(client, headers, learner_ref=REF, dry_run=True)
    assert dry.status_code == 200 and dry.json["erased"] is False and dry.json["counts"]["enrollments"] == 2
    assert _erase(client, headers, learner_ref=REF, dry_run=True).json == dry.json  # nothing went


def test_the_command_line_exports_then_erases_after_asking(app, held, tmp_path):
    from db.courses import Enrollment

    runner = app.test_cli_runner()
    out = tmp_path / "ada.zip"
    result = runner.invoke(args=["export-learner", REF, "--course", "ER1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(zipfile.ZipFile(out).read("learner.json"))
    assert document["courses"] == ["ER1"] and document["tables"]["records"] == []
    refused = runner.invoke(args=["erase-learner", REF], input="n\n")
    assert refused.exit_code != 0 and "enrollments: 2" in refused.output
    with app.app_context():
        assert Enrollment.select().where(Enrollment.learner_ref == REF).count() == 2
    result = runner.invoke(args=["erase-learner", REF], input="y\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert Enrollment.select().where(Enrollment.learner_ref == REF).count() == 0
    missing = runner.invoke(args=["export-learner", "nobody", "--out", str(out)])
    assert missing.exit_code != 0 and "Nothing is held about learner nobody" in missing.output


def test_a_training_set_built_after_the_erasure_leaves_the_learner_out(app, client, bearer, make_user):
    from db.courses import Enrollment
    from services.early_warning import training
    from tests.helpers import dropout_counts, store_course

    admin = make_user("admin")
    with app.app_context():
        counts, labels = dropout_counts(3, 30)
        course = store_course("DONE", counts)  # finished long ago
        ids = Enrollment.select(Enrollment.id).where(Enrollment.course == course).order_by(Enrollment.id)
        for (enrollment,), label in zip(ids.tuples(), labels, strict=True):
            Enrollment.update(dropped_out=bool(label)).where(Enrollment.id == enrollment).execute()
        erased = Enrollment.get(Enrollment.learner_ref == "DONE-L4").id
        before, _ = training.course_data()
        assert erased in before[0][2].tolist()
    assert _erase(client, bearer(admin), learner_ref="DONE-L4").status_code == 200
    with app.app_context():
        after, _ = training.course_data()
    assert erased not in after[0][2].tolist()
    assert len(after[0][2]) == len(before[0][2]) - 1 and after[0][3].shape[0] == before[0][3].shape[0] - 1
