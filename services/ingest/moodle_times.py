"""Times as Moodle's Logs report writes them: local to the person who downloaded it, in their
language's short format ("7/12/23, 13:05", "07/12/2023 13:05", "12/7/23, 1:05 PM"), so the day/month
order and the time zone are given at import. A four-digit first number (a spreadsheet's date cell,
ISO 8601) is always year-month-day.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.ingest.textfile import FormatError

DATE_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year"}
DEFAULT_ORDER, DEFAULT_ZONE = "dmy", "UTC"
_TIME = re.compile(
    r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:,\s*|\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*([AaPp]\.?[Mm]\.?)?\s*$"
)


class LocalTimeError(FormatError):
    """A date order or time zone that cannot be used; the message names the allowed values."""


@dataclass(frozen=True)
class LocalTime:
    """How to read a file's local times: the day/month order and the IANA time zone."""

    order: str = DEFAULT_ORDER
    zone: str = DEFAULT_ZONE


def local_time(order: str | None = None, zone: str | None = None) -> LocalTime:
    """Checked options (None or blank: the defaults); LocalTimeError says what is wrong."""
    order = (order or "").strip().lower() or DEFAULT_ORDER
    zone = (zone or "").strip() or DEFAULT_ZONE
    if order not in DATE_ORDERS:
        raise LocalTimeError(f"date order {order[:20]!r}: one of {', '.join(DATE_ORDERS)}")
    check_zone(zone)
    return LocalTime(order, zone)


def problems(order: str | None, zone: str | None) -> dict[str, str]:
    """What is wrong with each option, by field (date_order, time_zone); empty when both are usable."""
    found = {}
    for name, given in (("date_order", {"order": order}), ("time_zone", {"zone": zone})):
        try:
            local_time(**given)
        except LocalTimeError as error:
            found[name] = str(error)
    return found


def check_zone(zone: str) -> None:
    """LocalTimeError unless `zone` is an IANA time zone name (Europe/Paris, America/New_York, UTC)."""
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise LocalTimeError(f"time zone {zone[:60]!r}: an IANA name such as Europe/Paris or UTC") from None


def to_utc(texts: np.ndarray, local: LocalTime) -> tuple[np.ndarray, np.ndarray]:
    """Each time as ISO 8601 UTC text ("" when unusable) and, for the unusable ones, why; parsed once
    per distinct value (a log's times repeat: they are to the minute)."""
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    parts = np.array([_parts(str(value), local.order) for value in uniques], dtype=np.int64).reshape(-1, 6)
    stamps = pd.to_datetime(
        pd.DataFrame(parts, columns=["year", "month", "day", "hour", "minute", "second"]), errors="coerce"
    )
    # A time in the hour repeated when clocks go back is taken as the first one (summer time).
    localised = stamps.dt.tz_localize(local.zone, ambiguous=np.ones(len(stamps), dtype=bool),
                                      nonexistent="shift_forward")
    iso = localised.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("").to_numpy(dtype=object)
    why = np.array([_problem(str(value), local.order) if not text else "" for value, text in
                    zip(uniques, iso, strict=True)], dtype=object)
    if not len(uniques):
        return np.array([], dtype=object), np.array([], dtype=object)
    return iso[codes], why[codes]


def _parts(text: str, order: str) -> tuple[int, ...]:
    """(year, month, day, hour, minute, second), or -1s when the text is no such time."""
    match = _TIME.match(text)
    if not match:
        return (-1,) * 6
    first, second, third, hour, minute, seconds, half = match.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    else:
        day, month = (int(first), int(second)) if order == "dmy" else (int(second), int(first))
        year = int(third)
        if len(third) <= 2:
            year += 2000 if year < 70 else 1900
    hour = int(hour)
    if half:
        if not 1 <= hour <= 12:
            return (-1,) * 6
        hour = hour % 12 + (12 if half[0] in "Pp" else 0)
    return year, month, day, hour, int(minute), int(seconds or 0)


def _problem(text: str, order: str) -> str:
    shown = repr(text if len(text) <= 60 else text[:60] + "...")
    if not text.strip():
        return "missing time"
    if not _TIME.match(text):
        return f"unparseable time: {shown} (Moodle writes e.g. 7/12/23, 13:05)"
    return (f"date not in {DATE_ORDERS[order]} order: {shown} (the import's date order is {order}; set "
            "it to how the file writes dates)")
