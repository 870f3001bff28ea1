"""xAPI statement ids as the store compares them, and the digest of a statement's content (no database:
parsers use it; services/ingest/statement_store.py checks and keeps ids in the store).

The content compared is the statement without what an LRS sets or may change in transit (`id`, `stored`,
`authority`, `version`), written as canonical JSON, hashed (blake2b, 16 bytes). The canonical JSON is
the standard library's (keys sorted, no spaces, no ASCII escaping); orjson writes the same bytes for
everything but numbers in exponent form, non-finite numbers, integers beyond 64 bits, lone surrogates and
deep nesting, so a statement holding any of those (or what looks like one) is written by the standard
library, and every statement keeps the digest it had.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import orjson

SET_BY_THE_STORE = ("id", "stored", "authority", "version")
ID_MAX = 255  # the store's column (db.ingest.StatementId.statement_id)
COLUMNS = ("line", "statement_id", "digest")  # a chunk's `statements` frame
# Where orjson's bytes may differ from the standard library's: a number the standard library writes in
# exponent form (orjson writes those below 1e-4 in full, the others with a signed exponent), and null
# (orjson's NaN and infinities). Substrings are looked for first (quicker than the pattern); a match
# inside a string only costs time.
_EXPONENT = re.compile(rb"[:,\[]-?(?:0\.0000|[0-9]+(?:\.[0-9]+)?[eE])")


def normal(statement_id: str) -> str:
    """An id as the store compares it (UUIDs in any case are the same id)."""
    return statement_id.strip().lower()


def digest(statement: dict[str, Any]) -> str:
    """The digest of a statement's content (see the module docstring)."""
    content = {name: value for name, value in statement.items() if name not in SET_BY_THE_STORE}
    try:
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # a big integer, a lone surrogate, deep nesting
        text = None
    if text is None or not _same_as_canonical(text):
        text = canonical(content)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _same_as_canonical(text: bytes) -> bool:
    if b"null" in text:
        return False
    if b"e+" in text or b"e-" in text or b"0.0000" in text:
        return _EXPONENT.search(text) is None
    return True


def canonical(content: Any) -> bytes:
    """The standard library's canonical JSON of a statement's content, as UTF-8."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def conflict_reason(statement_id: str) -> str:
    """Why a statement reusing a taken id is refused."""
    return f"conflicting statement id: {statement_id!r} was stored with other content (send a new id)"
