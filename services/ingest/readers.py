"""The format registry: each format's reader (path -> Chunks), how to recognise it, and (optional) a cheap
pass for the earliest date per course. Other formats plug in here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from services.ingest import daily
from services.ingest.parsed import Chunk

Reader = Callable[..., Iterator[Chunk]]

READERS: dict[str, Reader] = {"daily": daily.read}
SNIFFERS: dict[str, Callable[[Path], bool]] = {"daily": daily.sniff}
EARLIEST: dict[str, Callable[[Path, str | None], dict[str, date]]] = {"daily": daily.earliest}


def detect(path: Path) -> str | None:
    """The name of the file's format, or None when no reader recognises it."""
    for name, sniff in SNIFFERS.items():
        if sniff(path):
            return name
    return None
