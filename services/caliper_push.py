"""A Caliper endpoint (IMS Caliper 1.1 and 1.2 Sensor API) for platforms that send envelopes as events
happen (Canvas Live Events, Open edX's event-routing-backends): the envelope is checked as a whole
(a malformed one is refused with every problem named, nothing stored), then its events are imported as
a push is (services/activity_push.py: same store, rules and course limits of the key); what the importer
does not count is reported per event, and the request still succeeds."""

from __future__ import annotations

import re
from typing import Any

from db.api_keys import ApiKey
from db.tables import User
from services import activity_push
from services.errors import ServiceError
from services.ingest import caliper

MAX_EVENTS = activity_push.MAX_ITEMS
CONTEXT_PREFIX = "http://purl.imsglobal.org/ctx/caliper/"  # every Caliper dataVersion starts so
SEND_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
SHAPE = "a Caliper envelope {sensor, sendTime, dataVersion, data: [events]}, or a list of envelopes"


class InvalidEnvelope(ServiceError):
    """A request the Caliper endpoint refuses with 400: not an envelope, or too many events."""

    status, code = 400, "invalid_envelope"


def accept(body: Any, actor: ApiKey | User) -> dict[str, Any]:
    """Store the events of one envelope (or a list of them); `{accepted, new, rejected: [{index,
    reason}]}`, an index counting the request's events from 0. InvalidEnvelope (400) for a malformed
    envelope, naming each problem."""
    envelopes = body if isinstance(body, list) else [body]
    problems = {}
    for number, envelope in enumerate(envelopes):
        where = f"envelopes[{number}]" if isinstance(body, list) else "envelope"
        problems.update({".".join(filter(None, (where, name))): why
                         for name, why in envelope_problems(envelope).items()})
    if not envelopes:
        problems["body"] = f"send {SHAPE}"
    if problems:
        raise InvalidEnvelope(f"The request is not {SHAPE}.", problems)
    count = sum(len(envelope["data"]) for envelope in envelopes)
    if count > MAX_EVENTS:
        raise InvalidEnvelope(f"Send at most {MAX_EVENTS} events per request ({count} sent).",
                           {"data": f"at most {MAX_EVENTS} events"})
    return activity_push.store(caliper.request_chunk(envelopes), actor)


def envelope_problems(envelope: Any) -> dict[str, str]:
    """What makes `envelope` not a Caliper envelope: {field: why}, empty when it is one."""
    if not isinstance(envelope, dict):
        return {"": f"must be {SHAPE}"}
    found = {}
    if not (isinstance(envelope.get("sensor"), str) and envelope["sensor"].strip()):
        found["sensor"] = "required: the sensor's id (an IRI)"
    if not (isinstance(envelope.get("sendTime"), str) and SEND_TIME.match(envelope["sendTime"])):
        found["sendTime"] = "required: an ISO 8601 date and time with its offset (2025-02-03T09:00:00.000Z)"
    version = envelope.get("dataVersion")
    if not (isinstance(version, str) and version.startswith(CONTEXT_PREFIX)):
        found["dataVersion"] = f"required: a Caliper context IRI ({CONTEXT_PREFIX}v1p2 or v1p1)"
    data = envelope.get("data")
    if not isinstance(data, list) or not data:
        found["data"] = "required: a non-empty list of events"
    return found
