"""Activity pushed over the API : `accept` parses the items with the same parsers as file
imports and stores them through the same store, so an event pushed twice, or pushed and later imported
from a file, is counted once; each bad item is reported by its index and the good ones still count."""

from __future__ import annotations

from typing import Any

from db.api_keys import ApiKey
from db.tables import User, utcnow
from services import api_keys, ingest
from services.errors import ServiceUnavailable
from services.ingest import formats
from services.ingest.parsed import Chunk

MAX_ITEMS = 5000


def accept(payload: dict[str, Any], actor: ApiKey | User) -> dict[str, Any]:
    """Store every good item of `{"events": [...]}` or `{"statements": [...]}`;
    `{accepted, new, outside_window, rejected: [{index, reason}]}` (outside_window: kept aside)."""
    parse = formats.event_rows_chunk if "events" in payload else formats.statements_chunk
    items = (payload.get("events", payload.get("statements")) or [])[:MAX_ITEMS]
    return store(parse(items), actor)


def store(chunk: Chunk, actor: ApiKey | User) -> dict[str, Any]:
    """Store the parsed items of one request as `actor`'s push (its key's course limits applied);
    `{accepted, new, rejected: [{index, reason}]}`, every rejection kept."""
    user = actor if isinstance(actor, User) else None
    policy = api_keys.course_policy(actor, utcnow().date()) if isinstance(actor, ApiKey) else None
    report = ingest.write_chunks(
        [chunk], source_name=_source_name(actor), user=user, keep_rejections=chunk.lines_read, policy=policy
    )
    if report.status == "failed":
        raise ServiceUnavailable(f"The activity could not be stored: {report.error}")
    rejected = [{"index": item.line, "reason": item.reason} for item in report.first_rejections]
    return {"accepted": report.rows_imported, "new": report.rows_changed,
            "outside_window": report.outside_window, "rejected": rejected}


def _source_name(actor: ApiKey | User) -> str:
    """How the import history names a push: by the key's or the administrator's name."""
    return f"push by key {actor.name}" if isinstance(actor, ApiKey) else f"push by {actor.username}"
