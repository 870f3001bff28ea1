"""Importing a Caliper file: events per second, parsing alone and into the store. Not a test.

Run:  python -m tests.benchmarks.bench_caliper [--events 200000] [--shape mix|canvas|edx] [--push]
        [--database-url postgresql://postgres@127.0.0.1:5432/ssa_bench_caliper]
With --push it times the endpoint instead: three requests of one envelope of 5,000 new events.
Writes a JSON-lines file of Caliper envelopes, one event each (as Canvas Live Events and Open edX's
event-routing-backends send them): half Canvas-shaped (Caliper 1.1: page views, quiz submissions, forum
posts, with Canvas's extensions, membership and session; about 1.5 KB an envelope), half Open edX-shaped
(Caliper 1.2: video and problem events, about 0.6 KB), for 2,000 learners in 4 courses over 30 days of
March. Then decodes its lines alone (orjson: the ceiling on this machine at this moment), reads it with
the parser alone, imports it into an emptied database (SQLite in a temporary folder without
--database-url), and imports it again (every event already counted, by its id). Prints events per
second, wall and this process's CPU (steadier on a shared machine; PostgreSQL's own work left out).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from tests.benchmarks.timing import cpu_seconds

LEARNERS, COURSES, DAYS = 2000, 4, 30
CANVAS_KINDS = (("NavigationEvent", "NavigatedTo", "Entity"), ("AssessmentEvent", "Submitted", "Attempt"),
                ("MessageEvent", "Posted", "Message"), ("NavigationEvent", "NavigatedTo", "Page"))
EDX_KINDS = (("MediaEvent", "Started", "VideoObject"), ("MediaEvent", "Paused", "VideoObject"),
             ("AssessmentEvent", "Submitted", "Assessment"), ("NavigationEvent", "NavigatedTo", "WebPage"))


def _time(i: int, events: int) -> str:
    seconds = i * DAYS * 86400 // max(events, 1)
    day, rest = divmod(seconds, 86400)
    return f"2025-03-{day + 1:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}.000Z"


def _canvas(i: int, when: str) -> dict:
    kind, action, object_type = CANVAS_KINDS[i % len(CANVAS_KINDS)]
    user = f"urn:instructure:canvas:user:1000{i % LEARNERS:06d}"
    course = f"urn:instructure:canvas:course:42{i % COURSES}"
    event = {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p1",
        "id": f"urn:uuid:c{i:07d}-0000-4000-8000-000000000000",
        "type": kind, "action": action, "eventTime": when,
        "actor": {"id": user, "type": "Person", "extensions": {"com.instructure.canvas": {
            "user_login": f"learner{i % LEARNERS}@example.edu", "root_account_id": "10000000000001",
            "entity_id": user.rsplit(":", 1)[-1]}}},
        "object": {"id": f"urn:instructure:canvas:{object_type.lower()}:{i % 500}", "type": object_type,
                   "extensions": {"com.instructure.canvas": {"asset_type": object_type.lower(),
                                                             "http_method": "GET"}}},
        "edApp": {"id": "https://canvas.example.edu/", "type": "SoftwareApplication"},
        "group": {"id": course, "type": "CourseOffering",
                  "extensions": {"com.instructure.canvas": {"context_type": "Course",
                                                            "entity_id": course[-3:]}}},
        "membership": {"id": f"{course}:Learner:{i % LEARNERS}", "type": "Membership",
                       "member": {"id": user, "type": "Person"},
                       "organization": {"id": course, "type": "CourseOffering"}, "roles": ["Learner"]},
        "session": {"id": f"urn:instructure:canvas:session:{i % 7919:x}", "type": "Session"},
        "extensions": {"com.instructure.canvas": {"hostname": "canvas.example.edu", "version": "1.0.0",
                                                  "request_id": f"r{i}", "user_agent": "Mozilla/5.0"}},
    }
    return {"sensor": "https://canvas.example.edu/", "sendTime": when,
            "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p1", "data": [event]}


def _edx(i: int, when: str) -> dict:
    kind, action, object_type = EDX_KINDS[i % len(EDX_KINDS)]
    course = f"course-v1:ExampleX+BENCH{i % COURSES}+2025"
    event = {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": f"urn:uuid:e{i:07d}-0000-4000-8000-000000000000",
        "type": kind, "action": action, "eventTime": when,
        "actor": {"id": f"anon-{i % LEARNERS:06d}", "type": "Person"},
        "object": {"id": f"block-v1:{course[10:]}+type@{object_type.lower()}+block@b{i % 300}",
                   "type": object_type, "extensions": {"course_id": course}},
        "extensions": {"eventVersion": "1.0"},
    }
    return {"sensor": "https://lms.example.org/caliper", "sendTime": when,
            "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2", "data": [event]}


SHAPES = {"mix": (_canvas, _edx), "canvas": (_canvas,), "edx": (_edx,)}


def write_file(path: Path, events: int, shape: str = "mix") -> None:
    """`events` envelopes of one event each, as JSON lines: Canvas and Open edX in turn, or one of them."""
    makers = SHAPES[shape]
    with path.open("w") as handle:
        for i in range(events):
            handle.write(json.dumps(makers[i % len(makers)](i, _time(i, events))) + "\n")


def _timed(work):
    started, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    return result, time.perf_counter() - started, cpu_seconds() - cpu


def push(app, rounds: int = 3, events: int = 5000) -> None:
    """Time POST /api/v1/caliper with one envelope of `events` new events, `rounds` times."""
    from services import api_keys

    with app.app_context():
        secret = api_keys.create("bench", "ingest", may_create_courses=True, may_push_finished=True)[1]
    client = app.test_client()
    for number in range(rounds):
        data = [(_canvas if i % 2 == 0 else _edx)(i + number * events, _time(i, events))["data"][0]
                for i in range(events)]
        raw = json.dumps({"sensor": "https://bench.example/", "sendTime": "2025-03-01T00:00:00Z",
                          "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2", "data": data})
        answer, seconds, cpu = _timed(lambda raw=raw: client.post(
            "/api/v1/caliper", data=raw, content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"}))
        print(f"push of {events:,} events ({len(raw) / 1e6:.1f} MB): {answer.status_code},"
              f" {answer.json['new']:,} new, answered in {seconds:.2f} s (CPU {cpu:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--database-url")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="mix", help="whose events (default: both)")
    parser.add_argument("--push", action="store_true", help="time the endpoint with 5,000 events instead")
    args = parser.parse_args()
    if args.push:
        from tests.benchmarks.postgres import fresh_app

        push(fresh_app("caliper-push", args.database_url))
        return
    folder = Path(tempfile.mkdtemp(prefix="ssa-bench-caliper-"))
    path = folder / "caliper.jsonl"
    write_file(path, args.events, args.shape)
    size = path.stat().st_size / 1e6

    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("caliper", args.database_url)
    from services.ingest import formats
    from services.ingest.store import import_file

    where = (args.database_url or "sqlite").split("@")[-1]
    print(f"file: {args.events:,} {args.shape} events, {size:.0f} MB; database: {where};"
          f" load {os.getloadavg()}")
    import orjson

    def decode() -> int:
        with path.open("rb") as handle:
            return sum(1 for line in handle if orjson.loads(line))

    decoded, seconds, cpu = _timed(decode)
    print(f"decode only:   {decoded:,} lines in {seconds:.2f} s = {decoded / seconds:,.0f} lines/s"
          f" (CPU {decoded / cpu:,.0f}): the ceiling on this machine now")
    read, seconds, cpu = _timed(lambda: sum(len(chunk.frame) for chunk in formats.read(path, "caliper")))
    print(f"parse only:    {read:,} events in {seconds:.2f} s = {read / seconds:,.0f} events/s"
          f" (CPU {read / cpu:,.0f} events per CPU second)")
    with app.app_context():
        for label in ("first import: ", "second import:"):
            report, seconds, cpu = _timed(lambda: import_file(path))
            if report.status != "done":
                raise SystemExit(f"{report.status}: {report.error}")
            read = report.lines_read
            print(f"{label} {read:,} events in {seconds:.2f} s = {read / seconds:,.0f} events/s"
                  f" (CPU {read / cpu:,.0f} per CPU second); {report.rows_imported:,} stored,"
                  f" {report.rows_changed:,} new, {report.rejected:,} rejected")
    path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
