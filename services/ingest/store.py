"""Importing learner activity into the store: `import_file` for a file of any known format and
`write_chunks` for chunks made in memory (the API push). Each chunk is committed on its own with the
run's counters, so a failed import leaves whole chunks up to its `last_line` and importing the same
file again is safe: daily rows replace the same values and events already counted are skipped."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import peewee
import pyarrow as pa
from flask import current_app, has_app_context

import services.ingest.counts as counts
import services.ingest.daily as daily
import services.ingest.edx as edx
import services.ingest.events_earliest as events_earliest
import services.ingest.formats as formats
import services.ingest.moodle_times as moodle_times
import services.ingest.outside as outside
import services.ingest.parallel_read as parallel_read
import services.ingest.statement_store as statement_store
from db.connection import write_transaction
from db.tables import User
from services.errors import InvalidInput
from services.ingest.daily import HeaderError
from services.ingest.parsed import Chunk, Rejection
from services.ingest.prefetch import prefetched
from services.ingest.resolve import (
    CODE_MAX,
    MAX_DAYS,
    CoursePolicy,
    Courses,
    Grouped,
    group_rows,
    keyed_rows,
    nothing_stored_reason,
)
from services.ingest.runs import FIRST_REJECTIONS, ImportReport, RunLog
from services.ingest.textfile import GZIP_MAX_MB, GZIP_MAX_RATIO, check_expansion
from services.tutoring import contacts

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
FORMATS = ("auto", *formats.FORMATS)
# Formats with a pass for the earliest date per course several times cheaper than reading the file:
# asked before a course is made. The others are read once: a course they make starts on its first
# chunk's earliest date and its learned window widens with the later chunks to the same window.
EARLIEST = {"daily": daily.earliest, "events": events_earliest.earliest}
# A rebase needs each course's first date in the file before the first chunk is stored: a pass that
# makes no keys or frames where a format has one, else a full read with its reader.
REBASE_EARLIEST = {"edx": edx.earliest}
# What a file that cannot be read raises (anything else is a fault of the store or of this code).
READ_ERRORS = (
    pa.ArrowInvalid,  # the earliest-date pass met text that is not UTF-8 or not CSV
    UnicodeDecodeError,
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    HeaderError,
    formats.FormatError,
    OSError,
)


def import_file(
    path: str | Path,
    *,
    fmt: str = "auto",
    course: str | None = None,
    start: date | None = None,
    days: int | None = None,
    user: User | int | None = None,
    progress: Progress | None = None,
    job_id: int | None = None,
    chunk_rows: int = 200_000,
    source_name: str | None = None,
    rebase: bool = False,
    date_order: str | None = None,
    time_zone: str | None = None,
) -> ImportReport:
    """Import one activity file (format named or detected); returns what was read, stored and rejected.
    A file that cannot be read at all, or fails midway, ends as a failed run with its report.
    `source_name` names the file in the run when `path` is a spooled copy (an upload). `rebase` moves
    each course's first date in the file onto the course's day 0 (a pilot on an old export).
    `date_order` and `time_zone` read a file of local times (a Moodle Logs download; None: the
    settings MOODLE_DATE_ORDER and MOODLE_TIME_ZONE)."""
    path = Path(path)
    name_shown = source_name or path.name
    course = course.strip() if course else None
    check_options(fmt, course, days)
    wrong = moodle_times.problems(date_order, time_zone)
    if wrong:
        raise InvalidInput("Invalid import options.", wrong)
    try:
        sha256, lines = _fingerprint(path)
    except OSError as exc:
        reason = f"Cannot read {path.name}: {exc.strerror or exc}"
        raise InvalidInput(reason, {"file": "cannot be read"}) from exc
    try:
        check_expansion(path, *_gzip_limits())
    except formats.FormatError as exc:
        run = RunLog(name_shown, fmt if fmt != "auto" else "unknown", sha256=sha256, course=course, user=user,
                     job_id=job_id)
        return run.fail(str(exc))
    try:
        name = formats.detect(path) if fmt == "auto" else fmt
    except formats.FormatError as exc:
        run = RunLog(name_shown, "unknown", sha256=sha256, course=course, user=user, job_id=job_id)
        return run.fail(f"{exc}; name the format (--format, or the format of an upload)")
    run = RunLog(name_shown, name, sha256=sha256, course=course, user=user, job_id=job_id)
    # Lazy, so read errors come up in _write; parsed and grouped one chunk ahead while the previous one
    # is stored.
    options = formats.options_for(name, course=course, **_local_time(date_order, time_zone))
    plain = lambda: formats.PARSERS[name](path, chunk_rows=chunk_rows, **options)  # noqa: E731
    read = parallel_read.chunks(name, path, plain, chunk_rows=chunk_rows, **_workers())
    chunks = prefetched(_grouped(read, course))
    earliest = _earliest_of_file(name, path, course, chunk_rows, options, rebase)
    courses = Courses(start, days, earliest, rebase=rebase)
    report = _write(chunks, run, courses, progress, lines)
    if report.status == "done" and report.rows_imported == 0:
        return _nothing_stored(run, courses)
    return report


def _nothing_stored(run: RunLog, courses: Courses) -> ImportReport:
    """Fail a file's import that stored nothing, removing the courses it created for nothing."""
    with write_transaction():
        removed = courses.remove_empty_created()  # with what was kept aside in them
    why = nothing_stored_reason(courses, run.run.rejected, dict(run.reasons), run.run.outside_window,
                                tuple(removed))
    return run.fail(why)


def _local_time(date_order: str | None, time_zone: str | None) -> dict[str, str | None]:
    """The day/month order and time zone of local times: those given, else the app's settings."""
    config = current_app.config if has_app_context() else {}
    return {"date_order": date_order or config.get("MOODLE_DATE_ORDER"),
            "time_zone": time_zone or config.get("MOODLE_TIME_ZONE")}


def _workers() -> dict[str, int]:
    """How many processes read a JSON-lines file, and from what size: the app's settings, else the
    defaults."""
    config = current_app.config if has_app_context() else os.environ
    return {"workers": int(config.get("IMPORT_WORKERS", parallel_read.WORKERS)),
            "min_kb": int(config.get("IMPORT_PARALLEL_MIN_KB", parallel_read.MIN_KB))}


def _gzip_limits() -> tuple[int, int]:
    """The expansion limits of a compressed file: the app's settings, else the defaults."""
    if not has_app_context():
        return GZIP_MAX_MB, GZIP_MAX_RATIO
    config = current_app.config
    return config.get("IMPORT_GZIP_MAX_MB", GZIP_MAX_MB), config.get("IMPORT_GZIP_MAX_RATIO", GZIP_MAX_RATIO)


def write_chunks(
    chunks: Iterable[Chunk],
    *,
    course: str | None = None,
    start: date | None = None,
    days: int | None = None,
    source_name: str = "api",
    user: User | int | None = None,
    keep_rejections: int = FIRST_REJECTIONS,
    policy: CoursePolicy | None = None,
) -> ImportReport:
    """Store chunks made in memory (an API push): same rules and report as `import_file`, keeping up to
    `keep_rejections` rejections with their line and reason; `policy` refuses courses (a key's limits)."""
    check_options("auto", course, days)
    chunks = list(chunks)
    kinds = sorted({chunk.kind for chunk in chunks}) or ["events"]
    run = RunLog(source_name, "+".join(kinds), course=course, user=user, keep=keep_rejections)
    earliest = lambda: _earliest_of_chunks(chunks, course)  # noqa: E731
    return _write(_grouped(chunks, course), run, Courses(start, days, earliest, policy), None, 0)


def check_options(fmt: str, course: str | None, days: int | None) -> None:
    """Raise InvalidInput (with the fields at fault) for an unknown format, course code or length."""
    fields = {}
    if fmt not in FORMATS:
        fields["format"] = f"one of {', '.join(FORMATS)}"
    if course is not None and not (0 < len(course.strip()) <= CODE_MAX):
        fields["course"] = f"a course code of 1 to {CODE_MAX} characters"
    if days is not None and not (0 < days <= MAX_DAYS):
        fields["days"] = f"a course length of 1 to {MAX_DAYS} days"
    if fields:
        raise InvalidInput("Invalid import options.", fields)


def _fingerprint(path: Path) -> tuple[str, int]:
    """The file's sha256 and its number of lines (for progress), in one pass."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def _earliest_of_file(name: str, path: Path, course: str | None, chunk_rows: int, options: dict,
                      rebase: bool):
    """A function giving each course's earliest date in the file: the format's cheap pass; for a format
    without one, nothing (a course made without --start then starts on its first chunk's earliest date,
    and its learned window widens with each later chunk to the window a first pass would have given, so
    the file is not parsed twice), except that a rebase needs the file's first dates: the format's
    rebase pass, else a full read with its reader. Run only if the import creates a course without
    --start, or rebases."""
    cheap = EARLIEST.get(name)
    if cheap is not None:
        return lambda: cheap(path, course)
    if not rebase:
        return dict
    first_dates = REBASE_EARLIEST.get(name)
    if first_dates is not None:
        return lambda: first_dates(path, course)
    return lambda: _earliest_of_chunks(formats.PARSERS[name](path, chunk_rows=chunk_rows, **options),
                                          course)


def _earliest_of_chunks(chunks: Iterable[Chunk], course: str | None) -> dict[str, date]:
    firsts: dict[str, pd.Timestamp] = {}
    for chunk in chunks:
        frame = chunk.frame
        when = frame["date"] if chunk.kind == "daily" else frame["time"]
        codes = frame["course"].where(frame["course"].notna(), course)
        for code, first in when.groupby(codes, dropna=True).min().dropna().items():
            firsts[code] = min(first, firsts.get(code, first))
    return {code: first.date() for code, first in firsts.items()}


def _grouped(chunks: Iterable[Chunk], course: str | None) -> Iterator[tuple[Chunk, Grouped, str | None]]:
    """Each chunk with its rows grouped by course (the work that needs no database) and the default course."""
    for chunk in chunks:
        when = chunk.frame["date"] if chunk.kind == "daily" else chunk.frame["time"]
        if chunk.kind == "events":
            counts.add_event_codes(chunk.frame)
        yield chunk, group_rows(chunk.frame, when, course), course


def _write(chunks, run: RunLog, courses: Courses, progress, total_lines: int):
    """Store each chunk in its own transaction with the run's counters; a failure ends the run failed."""
    try:
        for chunk, grouped, default_course in chunks:
            _store_chunk(chunk, grouped, run, courses, default_course)
            if progress is not None:
                done = min(1.0, run.run.lines_read / total_lines) if total_lines else 0.0
                progress(done, f"{run.run.lines_read:,} lines read, {run.run.rows_imported:,} rows imported")
    except READ_ERRORS as exc:
        return run.fail(f"the file could not be read after line {run.run.last_line}: {exc}")
    except peewee.PeeweeException as exc:
        return run.fail(f"database error after line {run.run.last_line}: {str(exc).strip()}")
    except Exception as exc:
        log.exception("import run %s failed", run.run.id)
        return run.fail(f"failed after line {run.run.last_line}: {type(exc).__name__}: {exc}")
    return run.finish()


def _store_chunk(chunk: Chunk, grouped: Grouped, run: RunLog, courses: Courses, course: str | None) -> None:
    frame = chunk.frame
    with write_transaction():
        conflicting = statement_store.conflicts(chunk.statements)
        if conflicting:  # rare: the chunk's rows grouped again without the refused statements
            kept = frame[~frame["line"].isin([rejection.line for rejection in conflicting])]
            grouped = group_rows(kept, kept["time"], course)
        keyed, refused, aside = keyed_rows(grouped, courses)
        changed = counts.store_daily(keyed) if chunk.kind == "daily" else counts.store_events(keyed)
        kept_aside = outside.keep(chunk.kind, aside)
        # A statement kept aside is acknowledged as one stored: its id is taken.
        statement_store.remember(chunk.statements, np.concatenate([keyed["line"].to_numpy(),
                                                                   aside["line"].to_numpy()]))
        contacts.remember_mailboxes(chunk.mailboxes, keyed)
        rejections = sorted(chunk.rejected + refused + conflicting, key=lambda rejection: rejection.line)
        pending = run.pending(
            lines=chunk.lines_read or len(frame) + len(chunk.rejected),
            rows=len(keyed),
            outside=kept_aside,
            changed=changed,
            last_line=_last_line(frame, chunk.rejected),
            rejections=rejections,
            enrollments=keyed["enrollment_id"].unique() if len(keyed) else [],
            courses=_codes(courses, keyed),
        )
        run.write(pending)
    run.apply(pending)


def _last_line(frame: pd.DataFrame, rejected: list[Rejection]) -> int:
    lines = [int(frame["line"].max())] if len(frame) else []
    lines += [rejection.line for rejection in rejected]
    return max(lines, default=0)


def _codes(courses: Courses, keyed: pd.DataFrame) -> set[str]:
    """Codes of the courses the keyed rows belong to."""
    ids = set(keyed["course_id"].unique().tolist()) if len(keyed) else set()
    return {code for code, course in courses.known.items() if course.id in ids}
