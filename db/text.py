"""Text the database can store: PostgreSQL refuses the NUL character, and a lone surrogate
(\\ud800-\\udfff, which JSON's \\u escapes can spell) is not UTF-8 at all."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "a NUL character (\\u0000) or a lone surrogate (\\ud800-\\udfff)"


def storable(text: str) -> bool:
    """Whether `text` can be stored as it is (holds no NUL and no lone surrogate)."""
    return _UNSTORABLE.search(text) is None


def printable(text: str) -> str:
    """`text` with each unstorable character spelled as its escape, for a message or a reason."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
