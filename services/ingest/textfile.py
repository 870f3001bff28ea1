"""Opening an activity file as text, whether plain or gzip-compressed (Open edX rotates its logs as .gz)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import TextIO

GZIP_MAGIC = b"\x1f\x8b"


class FormatError(ValueError):
    """A whole file cannot be read as the format it was given as; the message says why."""


def is_gzip(path: str | Path) -> bool:
    """Whether the file starts like a gzip stream (whatever its name)."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def open_text(path: str | Path) -> TextIO:
    """The file as UTF-8 text: a BOM skipped, undecodable bytes replaced (one bad byte spoils one value)."""
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    return open(path, encoding="utf-8-sig", errors="replace")


def head(path: str | Path, size: int = 64 * 1024) -> str:
    """The file's first characters (up to `size`), as text."""
    try:
        with open_text(path) as handle:
            return handle.read(size)
    except (OSError, EOFError) as error:
        raise FormatError(f"cannot read {Path(path).name}: {error}") from None
