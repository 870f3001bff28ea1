"""xAPI statement ids, unique per store: an id already taken with other content is refused (a conflicting
resend), an identical resend passes (its event key, from the id, is already counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from db import bulk
from db.ingest import StatementId
from services.ingest.parsed import Rejection
from services.ingest.statement_ids import COLUMNS, conflict_reason


def conflicts(statements: pd.DataFrame | None) -> list[Rejection]:
    """The statements whose id is taken (stored before, or earlier in the same chunk) with other content
    (call inside the chunk's transaction)."""
    if statements is None or not len(statements):
        return []
    ids = statements["statement_id"].to_numpy(dtype=object)
    known = dict(bulk.select_in(StatementId, ("statement_id", "digest"), {}, "statement_id",
                                sorted(set(ids.tolist()))))
    found = []
    columns = [statements[name].tolist() for name in COLUMNS]  # plain lists: quicker to walk than rows
    for line, statement_id, content in zip(*columns, strict=True):
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
