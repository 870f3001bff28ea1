"""The enrollment page rendered on the server (target: <= 500 ms). Not a test.

One course of --enrollments learners x 30 days (generated activity, about half the days active), every
enrollment scored at 4 checkpoints (days 7, 14, 21, 30, three reasons each), and a few actions on the
enrollment shown. Measured in-process, for an administrator: the service (`enrollment_view`, whose
course median reads the whole course), the page's layout with its figures, and the page as the browser
gets it: the Dash pages callback over HTTP (Flask test client, cookie auth) that returns the rendered
page as JSON. Prints the median and the worst of --runs after one warm-up.

Run:  python -m tests.benchmarks.bench_enrollment_page [--database-url postgresql://...]
        [--enrollments 5000] [--runs 20]
Without --database-url it uses SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from tests.benchmarks.timing import report, timed_ms

CHECKPOINTS = (7, 14, 21, 30)
PASSWORD = "quartz-meadow-91"


def _env(url: str | None, workdir: Path) -> None:
    url = url or f"sqlite:///{workdir / 'enrollment.db'}"
    os.environ.update({"APP_ENV": "testing", "INSTANCE_DIR": str(workdir), "DATABASE_URL": url})


def _seed(enrollments: int) -> tuple[int, int]:
    """The course, its predictions and a few actions; (admin id, the enrollment's id)."""
    import numpy as np

    from db.connection import database
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction
    from db.tables import utcnow
    from services import accounts
    from services.tutoring import actions
    from tests.helpers import dropout_counts, store_course

    counts, _ = dropout_counts(7, enrollments)
    course = store_course("BENCH-EP", counts)
    ids = [row[0] for row in Enrollment.of_course(course)]
    rng = np.random.default_rng(3)
    now = utcnow()
    rows = [
        {
            "enrollment": enrollment,
            "course": course.id,
            "day": day,
            "checkpoint": day,
            "probability": (p := float(rng.random())),
            "risk_level": "High" if p >= 0.7 else "Medium" if p >= 0.4 else "Low",
            "top_factors": [
                {
                    "feature": f"f{k}",
                    "contribution": 0.1,
                    "direction": "up",
                    "text": f"Reason {k} at day {day}.",
                }
                for k in range(3)
            ],
            "model_version": None,
            "run": None,
            "created_at": now,
        }
        for day in CHECKPOINTS
        for enrollment in ids
    ]
    with database.atomic():
        EnrollmentPrediction.upsert_many(rows)
    admin = accounts.register("bench-admin", "bench-admin@example.org", PASSWORD, "Admin", role="admin")
    target = ids[len(ids) // 2]
    for kind in ("acknowledged", "useful", "resolved"):
        actions.record_action(admin, target, kind, note="Benchmark note.")
    return admin.id, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--enrollments", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-enrollment-"))
    _env(args.database_url, workdir)

    import dash
    from flask_jwt_extended import create_access_token
    from plotly.utils import PlotlyJSONEncoder

    from db.migrations import upgrade
    from db.tables import User
    from server.factory import create_app
    from services.enrollment_timeline import enrollment_view
    from tests.benchmarks.postgres import empty_database

    empty_database(os.environ["DATABASE_URL"])  # a temporary SQLite file, or the named PostgreSQL emptied
    upgrade()
    app = create_app("testing")
    with app.app_context():
        start = time.perf_counter()
        admin_id, target = _seed(args.enrollments)
        print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}")
        print(
            f"seeded {args.enrollments:,} enrollments x 30 days, {len(CHECKPOINTS)} scored checkpoints "
            f"in {time.perf_counter() - start:.1f} s; enrollment {target}"
        )
        token = create_access_token(identity=str(admin_id), additional_claims={"epoch": 0, "sid": "bench"})
        admin = User.get_by_id(admin_id)
        report("service enrollment_view", timed_ms(lambda: enrollment_view(admin, target), args.runs))

    entry = next(e for e in dash.page_registry.values() if e["path"] == "/enrollment")
    cookie = {"Cookie": f"access_token_cookie={token}"}

    def layout() -> None:
        with app.test_request_context(f"/enrollment?id={target}", headers=cookie):
            json.dumps(entry["layout"](id=str(target)), cls=PlotlyJSONEncoder)

    report("layout built and encoded", timed_ms(layout, args.runs))

    client = app.test_client()
    client.get("/_dash-dependencies")  # Dash registers the callbacks on its first request
    signed_in = client.post("/api/v1/auth/login", json={"username": "bench-admin", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.data
    csrf = {"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value}
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/enrollment"},
            {"id": "_pages_location", "property": "search", "value": f"?id={target}"},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }

    def over_http() -> None:
        response = client.post("/_dash-update-component", json=body, headers=csrf)
        assert response.status_code == 200 and b"enrollment-heatmap" in response.data, response.data[:300]

    report("page over HTTP (Dash pages callback)", timed_ms(over_http, args.runs))
    print("target: enrollment page <= 500 ms")


if __name__ == "__main__":
    main()
