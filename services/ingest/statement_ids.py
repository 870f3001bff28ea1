"""xAPI statement ids as the store compares them, and the digest of a statement's content (no database:
parsers use it; services/ingest/statement_store.py checks and keeps ids in the store).

The content compared is the statement without what an LRS sets or may change in transit (`id`, `stored`,
`authority`, `version`), written as canonical JSON, hashed (blake2b, 16 bytes).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SET_BY_THE_STORE = ("id", "stored", "authority", "version")
ID_MAX = 255  # the store's column (db.ingest.StatementId.statement_id)
COLUMNS = ("line", "statement_id", "digest")  # a chunk's `statements` frame


def normal(statement_id: str) -> str:
    """An id as the store compares it (UUIDs in any case are the same id)."""
    return statement_id.strip().lower()


def digest(statement: dict[str, Any]) -> str:
    """The digest of a statement's content (see the module docstring)."""
    content = {name: value for name, value in statement.items() if name not in SET_BY_THE_STORE}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def conflict_reason(statement_id: str) -> str:
    """Why a statement reusing a taken id is refused."""
    return f"conflicting statement id: {statement_id!r} was stored with other content (send a new id)"
