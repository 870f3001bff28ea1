"""xAPI statement ids, unique per store: an id already taken with other content is refused (a conflicting
resend), an identical resend passes (its event key, from the id, is already counted).

The content compared is the statement without what an LRS sets or may change in transit (`id`, `stored`,
`authority`, `version`), written as canonical JSON, hashed (blake2b, 16 bytes).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

from db import bulk
from db.ingest import StatementId
from services.ingest.parsed import Rejection

SET_BY_THE_STORE = ("id", "stored", "authority", "version")
ID_MAX = StatementId.statement_id.max_length
COLUMNS = ("line", "statement_id", "digest")


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


def conflicts(statements: pd.DataFrame | None) -> list[Rejection]:
    """The statements whose id is taken (stored before, or earlier in the same chunk) with other content
    (call inside the chunk's transaction)."""
    if statements is None or not len(statements):
        return []
    ids = statements["statement_id"].to_numpy(dtype=object)
    known = dict(bulk.select_in(StatementId, ("statement_id", "digest"), {}, "statement_id",
                                sorted(set(ids.tolist()))))
    found = []
    for line, statement_id, content in statements[list(COLUMNS)].itertuples(index=False):
        taken = known.setdefault(statement_id, content)
        if taken != content:
            found.append(Rejection(int(line), conflict_reason(statement_id)))
    return found


def remember(statements: pd.DataFrame | None, stored_lines: np.ndarray) -> None:
    """Take the ids of the statements stored (those of `stored_lines`); ids already taken stay as they are."""
    if statements is None or not len(statements):
        return
    taken = statements[statements["line"].isin(stored_lines)].drop_duplicates("statement_id")
    bulk.insert_new(StatementId, {"statement_id": taken["statement_id"].tolist(),
                                  "digest": taken["digest"].tolist()}, ("statement_id",))
