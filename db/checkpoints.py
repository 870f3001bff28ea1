"""SQLite write-ahead-log checkpoints in a background thread, off the request path.

SQLite copies the log back into the database file (a checkpoint, two fsyncs) on whichever commit
finds the log longer than `wal_autocheckpoint` pages. On this class of machine that cost, spread
over the commits, was two thirds of a saved prediction's write. Each serving process therefore
runs one daemon thread that checkpoints every second without blocking readers or writers
(PASSIVE), and request connections only checkpoint themselves, as a safety net, if the log ever
grows past `REQUEST_CHECKPOINT_PAGES`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from db.process_threads import start_once

INTERVAL_SECONDS = 1.0
REQUEST_CHECKPOINT_PAGES = 5_000

log = logging.getLogger(__name__)


def start(path: str) -> None:
    """Start the checkpoint thread for the database file at `path`, once per process (a forked
    worker starts its own: threads do not survive a fork)."""
    start_once(f"sqlite-checkpoint {path}", path, _checkpoint_forever, path)


def _checkpoint_forever(path: str) -> None:
    connection = None
    while True:
        time.sleep(INTERVAL_SECONDS)
        try:
            if connection is None:
                if not Path(path).exists():
                    continue
                connection = sqlite3.connect(path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint of %s failed: %s", path, exc)
            if connection is not None:
                connection.close()
            connection = None
