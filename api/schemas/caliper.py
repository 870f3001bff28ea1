"""Models of the Caliper endpoint (IMS Caliper 1.1 and 1.2 envelopes)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import StrictModel

ENVELOPE_BODY = {
    "application/json": {
        "description": "A Caliper envelope (sensor, sendTime, dataVersion, data: a list of events), or a "
                       "list of envelopes; at most 5,000 events in all.",
        "oneOf": [
            {"type": "object", "required": ["sensor", "sendTime", "dataVersion", "data"],
             "properties": {"sensor": {"type": "string"}, "sendTime": {"type": "string"},
                            "dataVersion": {"type": "string"},
                            "data": {"type": "array", "items": {"type": "object"}}}},
            {"type": "array", "items": {"type": "object"}},
        ],
    }
}


class SensorQuery(StrictModel):
    key: str | None = Field(None, max_length=200, description=(
        "The ingest key, for a webhook that cannot send a header (Canvas Live Events); a header is better: "
        "a URL may be written to logs on its way."))
