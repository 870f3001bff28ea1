"""A gzip-compressed activity file may expand only so far (IMPORT_GZIP_MAX_MB, IMPORT_GZIP_MAX_RATIO):
a small upload that expands to a large one fails its import with a message that says why, before any
pass reads it; an ordinary compressed file goes through."""

from __future__ import annotations

import gzip
import io

from db.ingest import ImportRun
from tests.helpers import wait_for_job

IMPORT = "/api/v1/activity/import"
HEADER = b"enrollment_id,time,event,course_id\n"
ROW = "a{},2024-03-01T10:00:00Z,video,GZ\n"


def _bomb(expanded_mb: int) -> bytes:
    """A valid events CSV whose padding (spaces at the end of the header line) compresses to little."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as stream:
        stream.write(HEADER.rstrip(b"\n"))
        block = b" " * (1 << 20)
        for _ in range(expanded_mb):
            stream.write(block)
        stream.write(b"\n" + ROW.format(1).encode())
    return out.getvalue()


def _import(client, headers, content: bytes) -> dict:
    data = {"file": (io.BytesIO(content), "events.csv.gz"), "format": "events"}
    response = client.post(IMPORT, data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    return wait_for_job(client, headers, response.json["id"])


def test_a_gzip_that_expands_past_the_ratio_fails_with_a_clear_error(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    bomb = _bomb(64)  # 64 MB from about 64 KB: a ratio near 1000
    assert len(bomb) < 1 << 20
    job = _import(client, headers, bomb)
    assert job["status"] == "failed", job
    error = job["result"]["error"]
    assert "expands to more than" in error and "100 times" in error
    with app.app_context():
        assert ImportRun.get_by_id(job["result"]["run_id"]).status == "failed"


def test_a_gzip_past_the_size_limit_fails_and_an_ordinary_one_imports(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    app.config["IMPORT_GZIP_MAX_MB"] = 1
    try:
        job = _import(client, headers, gzip.compress(HEADER + b"".join(
            ROW.format(i).encode() for i in range(40_000))))
    finally:
        app.config["IMPORT_GZIP_MAX_MB"] = 2048
    assert job["status"] == "failed" and "expands to more than 1 MB" in job["result"]["error"]
    job = _import(client, headers, gzip.compress(HEADER + ROW.format(1).encode()))
    assert job["status"] == "succeeded" and job["result"]["rows_imported"] == 1, job["error"]
