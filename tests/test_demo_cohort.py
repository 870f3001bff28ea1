"""`seed-demo` makes a demo cohort with the product's generator and models; `remove-demo` undoes it."""

from __future__ import annotations

from datetime import timedelta


def _demo_records(app) -> list:
    from db.models import Record, User
    from services.demo import DEMO_OWNER

    with app.app_context():
        owner = User.by_login(DEMO_OWNER)
        if owner is None:
            return []
        return list(Record.select().where(Record.user == owner.id))


def test_seed_demo_makes_a_cohort_once_and_remove_demo_takes_exactly_it(
    app, client, make_user, bearer, active_models
):
    from db.models import Record, User, utcnow

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
