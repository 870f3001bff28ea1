"""SQLite's write-ahead log is copied back into the database file by the background thread, not
by the commits of requests."""

from __future__ import annotations

import sqlite3
import threading
import time

from db import checkpoints


def test_the_background_thread_checkpoints_what_commits_leave_in_the_log(tmp_path):
    path = tmp_path / "log.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # this connection never checkpoints itself
    writer.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    for _ in range(500):
        writer.execute("INSERT INTO notes (body) VALUES (?)", ("x" * 1000,))
    before = path.stat().st_size

    checkpoints.start(str(path))
    checkpoints.start(str(path))  # once per process and file
    copied = before + 400 * 1000  # the rows now live in the database file (copied in steps)
    deadline = time.monotonic() + 15
    while path.stat().st_size <= copied and time.monotonic() < deadline:
        time.sleep(0.2)

    assert path.stat().st_size > copied
    names = [thread.name for thread in threading.enumerate()]
    assert names.count(f"sqlite-checkpoint {path}") == 1
    writer.close()
