"""Shared by the nudge tests: a scored course's learners and the default templates seeded."""

from __future__ import annotations

# Learners L0..L3 at two checkpoints (day 14 the latest); L2 never active, L1 last active on day 3.
SCORES = {7: (7, [0.2, 0.5, 0.8, 0.3]), 14: (14, [0.1, 0.75, 0.9, 0.305])}
ACTIVE = {0: range(0, 16), 1: [3], 2: [], 3: [5, 18]}


def seed_templates() -> None:
    """The default templates, as migration 32 seeds them (the tests empty every table)."""
    from db.connection import database
    from db.migrations import _nudge_templates

    _nudge_templates(database.obj)
