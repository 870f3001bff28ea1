"""xAPI import speed: a statements file, and pushes of 5,000 statements to the API and to the LRS
endpoint. Not a test.

Run:  python -m tests.benchmarks.bench_xapi [--statements 300000] [--pushes 3]
        [--database-url postgresql://postgres@127.0.0.1:5432/ssa_bench_xapi]
Writes a JSON-lines file of xAPI statements (Moodle's shape: account actors, the course typed in the
parents, each statement with its id; 2,000 learners over 40 days of 20 courses) to a temporary folder
and imports it into an emptied database with the product's importer (format detected), printing
statements/s (wall and this process's CPU) and peak RSS. Then starts the app on a local port and sends
`--pushes` pushes of 5,000 new statements each to POST /api/v1/activity (an ingest key) and as many to
POST /api/v1/xapi/statements (HTTP Basic with the key, X-Experience-API-Version 1.0.3), printing the
time until each is answered (one warm-up request of each kind first, not counted). Without
--database-url it uses SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.benchmarks.timing import cpu_seconds

COURSES = [f"https://lms.example.org/course/view.php?id={n}" for n in range(1, 21)]
PUSH_SIZE = 5_000


def _write_file(path: Path, count: int) -> None:
    from tests.xapi_statements import statements

    per_course = count // len(COURSES)
    with path.open("w") as handle:
        for number, course in enumerate(COURSES):
            made = statements(course, per_course + (count % len(COURSES) if number == 0 else 0), days=40,
                              learners=100, seed=number)
            handle.write("\n".join(json.dumps(item) for item in made) + "\n")


def _import(path: Path, count: int) -> None:
    from services.ingest import import_file

    started, cpu = time.perf_counter(), cpu_seconds()
    report = import_file(path)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"file import ({report.format}): {report.lines_read:,} read, {report.rows_imported:,} stored,"
          f" {report.rejected:,} rejected, {len(report.courses)} courses [{report.status}] in {wall:.1f} s ="
          f" {count / wall:,.0f} statements/s wall, {count / cpu:,.0f} per CPU second;"
          f" peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)


def _serve(app) -> str:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[float, int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read() or b"null")
        return time.perf_counter() - started, response.status, answer


def _pushes(app, rounds: int) -> None:
    from services import api_keys
    from tests.xapi_statements import statements

    with app.app_context():
        row, secret = api_keys.create(f"bench-{time.time_ns()}", "ingest", may_create_courses=True,
                                      may_push_finished=True)
    base = _serve(app)
    basic = base64.b64encode(f"{row.prefix}:{secret}".encode()).decode()
    targets = {
        "API push": (f"{base}/api/v1/activity", {"X-API-Key": secret}, lambda items: {"statements": items}),
        "LRS": (f"{base}/api/v1/xapi/statements",
                {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"},
                lambda items: items),
    }
    seed = 1_000
    for name, (url, headers, wrap) in targets.items():
        times, cpus = [], []
        for attempt in range(rounds + 1):  # the first is a warm-up
            seed += 1
            items = statements(COURSES[0], PUSH_SIZE, days=40, learners=100, seed=seed)
            body = json.dumps(wrap(items)).encode()
            cpu = time.process_time()  # the server runs in this process: its CPU time, the steadier figure
            seconds, status, answer = _post(url, body, headers)
            if attempt:
                times.append(seconds)
                cpus.append(time.process_time() - cpu)
            if status != 200:
                raise SystemExit(f"{name} answered {status}: {str(answer)[:300]}")
        print(f"{name}: {PUSH_SIZE:,} statements answered in " + ", ".join(f"{t:.2f}" for t in times)
              + " s wall, " + ", ".join(f"{t:.2f}" for t in cpus) + f" s CPU (load {os.getloadavg()[0]:.1f})",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=300_000)
    parser.add_argument("--pushes", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--skip-file", action="store_true", help="only the pushes")
    args = parser.parse_args()

    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("xapi", args.database_url)
    print(f"database: {(args.database_url or 'sqlite').split('@')[-1]}; load {os.getloadavg()[0]:.1f}")
    if not args.skip_file:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "statements.jsonl"
            _write_file(path, args.statements)
            print(f"file: {args.statements:,} statements, {path.stat().st_size / 1e6:.0f} MB", flush=True)
            with app.app_context():
                _import(path, args.statements)
    if args.pushes:
        _pushes(app, args.pushes)


if __name__ == "__main__":
    main()
