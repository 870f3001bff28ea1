"""Background threads started once per process: a forked worker (gunicorn, Celery) starts its own,
since threads do not survive a fork."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_started_in: dict[tuple[str, str], int] = {}
_lock = threading.Lock()


def start_once(name: str, owner: str, target: Callable[..., Any], *args: Any) -> bool:
    """Run `target(*args)` in a daemon thread called `name`, unless this process already started
    one for `owner` (an app's name, a database file); whether it started now."""
    key = (name, owner)
    if _started_in.get(key) == os.getpid():
        return False
    with _lock:
        if _started_in.get(key) == os.getpid():
            return False
        _started_in[key] = os.getpid()
        threading.Thread(target=target, args=args, name=name, daemon=True).start()
    return True
