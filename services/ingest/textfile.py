"""Opening an activity file as text, whether plain or gzip-compressed (Open edX rotates its logs as .gz)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import TextIO

GZIP_MAGIC = b"\x1f\x8b"
# A compressed file may expand to GZIP_MAX_MB, and to GZIP_MAX_RATIO times its own size once it is
# past GZIP_RATIO_FROM_MB (a small file expanding a lot is harmless): a few MB of zeros must not
# become gigabytes read by every pass of an import.
GZIP_MAX_MB, GZIP_MAX_RATIO, GZIP_RATIO_FROM_MB = 2048, 100, 16


class FormatError(ValueError):
    """A whole file cannot be read as the format it was given as; the message says why."""


def is_gzip(path: str | Path) -> bool:
    """Whether the file starts like a gzip stream (whatever its name)."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def check_expansion(path: str | Path, max_mb: int = GZIP_MAX_MB, max_ratio: int = GZIP_MAX_RATIO) -> None:
    """FormatError when a gzip file expands past `max_mb` MB, or past `max_ratio` times its size
    (once over GZIP_RATIO_FROM_MB); read in blocks, stopping at the limit (memory stays flat)."""
    if not is_gzip(path):
        return
    packed = max(Path(path).stat().st_size, 1)
    limit = min(max_mb << 20, max(max_ratio * packed, GZIP_RATIO_FROM_MB << 20))
    expanded = 0
    try:
        with gzip.open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                expanded += len(block)
                if expanded > limit:
                    raise FormatError(
                        f"the compressed file expands to more than {limit >> 20} MB (the limits are "
                        f"{max_mb} MB and {max_ratio} times the compressed size): split it, or send it "
                        "uncompressed"
                    )
    except (OSError, EOFError) as error:
        raise FormatError(f"cannot decompress {Path(path).name}: {error}") from None


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
