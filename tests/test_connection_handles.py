"""Open database handles stay flat under a thread-per-request server."""

from __future__ import annotations

import gc
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import TEST_DATABASE_URL

REQUESTS = 2000
CLIENTS = 16


def _open_handles(db_file: Path) -> int:
    """File descriptors of this process open on the SQLite file or its -wal/-shm companions."""
    names = {str(db_file), f"{db_file}-wal", f"{db_file}-shm"}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                count += 1
        except OSError:
            continue
    return count


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
        response.read()
        return response.status


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="counts handles on the SQLite file")
def test_sqlite_handles_stay_flat_across_request_threads(app, live_server, make_user, bearer):
    db_file = Path(app.config["DATABASE_URL"].split(":///", 1)[1]).resolve()
    headers = bearer(make_user())
    url = f"{live_server}/api/v1/me"
    _get(url, headers)
    before = _open_handles(db_file)
    # wsgi.py's collector settings, as in a served process: a connection left to the collector
    # stays open for thousands of requests.
    thresholds = gc.get_threshold()
    gc.set_threshold(20_000, 20, 20)
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(lambda u: _get(u, headers), [url] * REQUESTS))
    finally:
        gc.set_threshold(*thresholds)
    assert set(statuses) == {200}
    # Werkzeug's threaded server starts a thread per request: at most one connection per
    # concurrent request (each with its -wal handle) may stay open, never one per thread.
    assert _open_handles(db_file) - before <= 3 * CLIENTS, (before, _open_handles(db_file))
