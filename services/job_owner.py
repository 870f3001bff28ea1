"""Who runs a job: this host, process id and process start, so a dead owner can be told apart."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _started(pid: int) -> str:
    """The process's start tick from /proc (tells a reused pid apart); "" where /proc is absent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def identity() -> str:
    """This process as a job owner: "host:pid:start"."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def is_dead_here(owner: str | None) -> bool:
    """Whether `owner` was a process of this host that no longer runs (another host: unknown, False)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a live process of another user
    return bool(started) and _started(pid) not in ("", started)
