"""`seed-demo` makes a demo cohort with the product's generator and models; `remove-demo` undoes it."""

from __future__ import annotations

from datetime import timedelta


def _demo_records(app) -> list:
    from db.tables import Record, User
    from services.demo import DEMO_OWNER

    with app.app_context():
        owner = User.by_login(DEMO_OWNER)
        if owner is None:
            return []
        return list(Record.select().where(Record.user == owner.id))


def test_seed_demo_makes_a_cohort_once_and_remove_demo_takes_exactly_it(
    app, client, make_user, bearer, active_models
):
    from db.tables import Record, User, utcnow

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    records = _demo_records(app)
    assert {r.task for r in records} == {"exam-score", "dropout"}
    assert all(r.student_ref.startswith("DEMO-") for r in records)
    ages = [utcnow() - r.created_at for r in records]
    assert max(ages) > timedelta(weeks=3) and min(ages) >= timedelta(0)
    assert len({r.student_ref for r in records if r.task == "dropout"}) >= 20

    admin = make_user("admin")
    listing = client.get("/api/v1/records?task=dropout", headers=bearer(admin)).json
    assert listing["meta"]["total"] == sum(r.task == "dropout" for r in records)

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert len(_demo_records(app)) == len(records)  # a second run adds nothing

    student = make_user()
    saved = client.post(
        "/api/v1/predictions/dropout",
        headers=bearer(student),
        json={**next(r for r in records if r.task == "dropout").inputs, "save": True},
    )
    assert saved.status_code in (200, 201), saved.json
    removed = runner.invoke(args=["remove-demo"])
    assert removed.exit_code == 0 and str(len(records)) in removed.output
    assert _demo_records(app) == []
    with app.app_context():
        assert Record.select().count() == 1  # the student's own record stays
        assert {u.username for u in User.select()} >= {admin.username, student.username}


def test_demo_courses_arrive_once_through_the_importer_and_remove_demo_takes_exactly_them(
    app, client, make_user, bearer
):
    """Finished demo courses carry outcomes (to train on), running ones none and no day from today on;
    a course of the user's own survives remove-demo."""
    from datetime import date

    from db.courses import Course, Enrollment
    from db.ingest import ImportRun

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--courses-only"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        Course.create(code="OWN-1", start_date=date(2024, 1, 1))
        demo = list(Course.select().where(Course.code.startswith("DEMO-")))
        runs = ImportRun.select().count()
    admin = make_user("admin")
    listed = {c["code"]: c for c in client.get("/api/v1/courses", headers=bearer(admin)).json["items"]}
    finished = [c for c in listed.values() if c["code"].startswith("DEMO-") and c["status"] == "finished"]
    running = [c for c in listed.values() if c["code"].startswith("DEMO-") and c["status"] == "running"]
    assert len(demo) == len(finished) + len(running) and len(finished) >= 2 and len(running) >= 2
    with app.app_context():
        for course in demo:
            outcomes = {e.dropped_out for e in Enrollment.select().where(Enrollment.course == course)}
            if course.code in {c["code"] for c in finished}:
                assert outcomes <= {True, False} and outcomes == {True, False}
            else:
                assert outcomes == {None}
            assert course.title and not course.title.startswith("DEMO-")
    for course in running:
        days = client.get(f"/api/v1/courses/{course['code']}", headers=bearer(admin)).json
        assert 0 < days["current_day"] < days["length_days"]

    assert runner.invoke(args=["seed-demo", "--courses-only"]).exit_code == 0
    with app.app_context():
        assert ImportRun.select().count() == runs  # a second run imports nothing
    removed = runner.invoke(args=["remove-demo"])
    assert removed.exit_code == 0 and f"{len(demo)} demo courses" in removed.output
    with app.app_context():
        assert [c.code for c in Course.select()] == ["OWN-1"]
