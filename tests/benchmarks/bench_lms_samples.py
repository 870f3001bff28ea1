"""What the activity importer makes of real platforms' logs (an xAPI statements array, an Open edX
tracking log). Not a test.

Run:  python -m tests.benchmarks.bench_lms_samples --samples-dir <folder>   (or SSA_LMS_SAMPLES=<folder>)
Imports every *.json, *.jsonl and *.log file of the folder into a fresh SQLite store, as the product's
import does (format detected, no course option), and prints per file: statements or events read and
accepted, every rejection by reason, the courses they landed in; for xAPI files a table of every verb
seen (with the object types it was sent with) and the event type it was given; for Open edX logs a table
of every event name seen (page views grouped by the pattern that types them) and the type given.
Exits 0 when the folder is absent. The files are only read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ENV = "SSA_LMS_SAMPLES"
PATTERNS = ("*.json", "*.jsonl", "*.log")


def _env() -> None:
    workdir = Path(tempfile.gettempdir()) / "ssa-bench-lms-samples"
    workdir.mkdir(exist_ok=True)
    database = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.environ.update({"APP_ENV": "testing", "INSTANCE_DIR": str(workdir), "DATABASE_URL": f"sqlite:///{database}"})


def _parser_reasons(path: Path, fmt: str) -> Counter:
    """Every rejection the parser makes, by its whole reason (without the "statement N: " label)."""
    from services.ingest import formats
    from services.ingest.runs import _ITEM_LABEL

    found: Counter = Counter()
    for chunk in formats.PARSERS[fmt](path):
        found.update(_ITEM_LABEL.sub("", rejection.reason) for rejection in chunk.rejected)
    return found


def _verb_table(path: Path) -> list[tuple[str, int, str, str]]:
    """(verb id, statements, object types seen, type given) for every verb of an xAPI file."""
    from services.ingest.event_map import TYPE_MARK, for_format, normal
    from services.ingest.json_records import records
    from services.ingest.xapi import fields_of

    event_map = for_format("xapi", {})
    counts: Counter = Counter()
    objects: dict[str, set] = defaultdict(set)
    given: dict[str, set] = defaultdict(set)
    for record in records(path):
        fields = fields_of(record.value) if record.error is None else "unreadable"
        if isinstance(fields, str):
            continue
        verb, _, segment = fields[3].partition(TYPE_MARK)
        counts[verb] += 1
        objects[verb].add(segment or "-")
        given[verb].add(event_map.type_of(normal(fields[3])) or "unknown")
    return [(verb, counts[verb], ", ".join(sorted(objects[verb])), ", ".join(sorted(given[verb])))
            for verb in sorted(counts)]


def _edx_table(path: Path) -> list[tuple[str, int, str]]:
    """(event name, events, type given) for every named event of an Open edX log; page views (an
    event_type that is a path) grouped by the table's pattern that types them."""
    from services.ingest import edx
    from services.ingest.edx_events import EDX_PATTERNS, PATTERN_TABLE
    from services.ingest.event_map import for_format, normal

    event_map = for_format("edx", {})
    counts: Counter = Counter()
    for chunk_fields in _edx_names(path, edx):
        counts[chunk_fields] += 1
    rows: Counter = Counter()
    given: dict[str, str] = {}
    for name, count in counts.items():
        kind = event_map.type_of(normal(name)) or "unknown"
        found = EDX_PATTERNS.match(normal(name)) if name.startswith("/") else None
        label = f"page: {PATTERN_TABLE[int(found.lastgroup[1:])][2]}" if found else f"`{name}`"
        rows[label] += count
        given[label] = kind
    return [(label, rows[label], given[label]) for label in sorted(rows)]


def _edx_names(path: Path, edx) -> list[str]:
    from services.ingest.json_records import records

    return [edx.fields_of(record.value)[3] for record in records(path)
            if record.error is None and not isinstance(edx.fields_of(record.value), str)]


def _report(path: Path) -> None:
    from services.ingest import formats, import_file

    fmt = formats.detect(path)
    report = import_file(path, fmt=fmt)
    print(f"\n## {path.name} ({fmt})")
    print(f"read {report.lines_read:,}, accepted {report.rows_imported:,}, rejected {report.rejected:,}; "
          f"courses: {len(report.courses)}")
    for code in report.courses[:20]:
        print(f"  course {code}")
    print("rejections by kind (as the import report counts them):")
    for reason, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        print(f"  {count:6,}  {reason}")
    print("the parser's rejections by whole reason:")
    for reason, count in _parser_reasons(path, fmt).most_common():
        print(f"  {count:6,}  {reason}")
    if fmt == "xapi":
        print("\n| verb | statements | object types | type given |\n|---|---:|---|---|")
        for verb, count, objects, kind in _verb_table(path):
            print(f"| `{verb}` | {count} | {objects} | {kind} |")
    if fmt == "edx":
        print("\n| event name | events | type given |\n|---|---:|---|")
        for name, count, kind in _edx_table(path):
            print(f"| {name} | {count} | {kind} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples-dir", type=Path, default=os.environ.get(ENV))
    args = parser.parse_args()
    folder = args.samples_dir
    present = folder is not None and folder.is_dir()
    files = sorted({p for pattern in PATTERNS for p in folder.glob(pattern)}) if present else []
    if not files:
        print(f"skipped: no samples (pass --samples-dir or set {ENV})")
        return
    _env()

    from db.connection import bind_database
    from db.migrations import upgrade

    bind_database(os.environ["DATABASE_URL"])
    upgrade()
    for path in files:
        _report(path)


if __name__ == "__main__":
    main()
