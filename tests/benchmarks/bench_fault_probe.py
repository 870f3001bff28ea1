"""Probe of the running product under faults: requests answered, server errors, acknowledged writes
lost. Not a test.

Run:  python -m tests.benchmarks.bench_fault_probe [--database-url URL] [--seconds 60] [--examples 8]

Starts the app as deployed (APP_ENV=production, gunicorn with two sync workers) on a fresh SQLite
file, or on the PostgreSQL database named by --database-url (emptied first). Then:

1. **Faults**, for --seconds: two pushers send `POST /api/v1/activity` batches (an ingest key; each
   batch a new learner with 20 events), an importer sends events CSV files to
   `POST /api/v1/activity/import`, while every few seconds a worker is killed (`kill -9`; gunicorn
   starts another) or the database goes away for 2 s (PostgreSQL: connections refused and every
   open one terminated; SQLite: another process holds the write lock).
2. **Check**, once the faults stop and the jobs have ended: each acknowledged push (200, every item
   accepted) must have all its events in the course's enrollment list, each acknowledged import
   (202) must end as a job that succeeded with all its learners stored or that failed with a reason,
   and no import run may stay `running`.
3. **Contract**: schemathesis over the whole API document as an administrator (every phase), last
   because it may change any account.

Prints the requests and 5xx per phase (from gunicorn's access log) and the writes lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from tests.benchmarks.postgres import empty_database

EVENTS = ("navigate", "access", "page_close", "problem", "video", "discussion", "wiki")
PER_BATCH = 20
COURSE = "PROBE-1"
EXCLUDED = ["/api/v1/auth/logout", "/api/v1/me/password", "/api/v1/models/{task}/train",
            "/api/v1/models/early-warning/train"]


def _flask(env: dict, *args: str) -> str:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def _start(env: dict, port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--access-logfile", str(log), "--access-logformat", "%(s)s %(m)s %(U)s", "wsgi:app"],
        env=env, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200:
                return server
        time.sleep(0.5)
    raise SystemExit("the server did not start")


def _statuses(log: Path, start: int) -> list[int]:
    """The status of every request logged from line `start` on (each line starts with it)."""
    lines = log.read_text().splitlines()[start:]
    return [int(line.split()[0]) for line in lines if line[:3].isdigit()]


def _line_count(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _contract(base: str, token: str, examples: int, report: Path) -> None:
    command = [str(Path(sys.executable).parent / "schemathesis"), "run", f"{base}/api/v1/openapi.json",
               "--header", f"Authorization: Bearer {token}", "--checks", "not_a_server_error",
               "--max-examples", str(examples), "--seed", "7", "--suppress-health-check", "all",
               "--phases", "examples,coverage,fuzzing,stateful"]
    for path in EXCLUDED:
        command += ["--exclude-path", path]
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    report.write_text(result.stdout + result.stderr)
    failures = [line for line in result.stdout.splitlines() if line.startswith(("___", "- ", "    curl"))]
    print("\n".join(failures + [f"schemathesis report: {report}"]))


def _events(learner: str, day: datetime) -> list[dict]:
    return [
        {"enrollment_id": learner, "course_id": COURSE, "event": EVENTS[k % len(EVENTS)],
         "time": (day + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for k in range(PER_BATCH)
    ]


class Probe:
    """The writes sent under faults and what the server answered to each."""

    def __init__(self, base: str, key: str, token: str, until: float):
        self.base, self.until = base, until
        self.key_headers = {"X-API-Key": key}
        self.admin = {"Authorization": f"Bearer {token}"}
        self.pushes: list[tuple[str, int, bool]] = []  # learner, events, acknowledged
        self.imports: list[tuple[list[str], int | None]] = []  # learners, job id when acknowledged
        self.faults: dict[str, int] = {"kill -9": 0, "database outage": 0}
        self.day = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=5)

    def push(self, name: str) -> None:
        number = 0
        while time.monotonic() < self.until:
            number += 1
            learner = f"{name}-{number}"
            try:
                answer = requests.post(f"{self.base}/api/v1/activity", headers=self.key_headers,
                                       json={"events": _events(learner, self.day)}, timeout=60)
                done = answer.status_code == 200 and answer.json().get("accepted") == PER_BATCH
            except requests.RequestException:
                done = False
            self.pushes.append((learner, PER_BATCH, done))

    def import_files(self) -> None:
        number = 0
        while time.monotonic() < self.until:
            number += 1
            learners = [f"imp{number}-{k}" for k in range(50)]
            rows = ["enrollment_id,course_id,time,event"] + [
                f"{e['enrollment_id']},{COURSE},{e['time']},{e['event']}"
                for learner in learners for e in _events(learner, self.day)
            ]
            job = None
            with contextlib.suppress(requests.RequestException, ValueError):
                answer = requests.post(f"{self.base}/api/v1/activity/import?format=events",
                                       headers={**self.admin, "Content-Type": "text/csv"},
                                       data="\n".join(rows).encode(), timeout=60)
                job = answer.json()["id"] if answer.status_code == 202 else None
            self.imports.append((learners, job))
            time.sleep(1.5)

    def inject(self, server: subprocess.Popen, outage) -> None:
        rng = random.Random(7)
        while time.monotonic() < self.until - 4:
            time.sleep(3)
            if rng.random() < 0.5:
                children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
                if children:
                    os.kill(int(rng.choice(children)), signal.SIGKILL)
                    self.faults["kill -9"] += 1
            else:
                outage(2.0)
                self.faults["database outage"] += 1


def _postgres_outage(url: str):
    import psycopg2

    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"

    def outage(seconds: float) -> None:
        connection = psycopg2.connect(admin_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            time.sleep(seconds)
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        connection.close()

    return outage


def _sqlite_outage(path: Path):
    def outage(seconds: float) -> None:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    return outage


def _stored_events(base: str, headers: dict) -> dict[str, int]:
    stored, page = {}, 1
    while True:
        answer = requests.get(f"{base}/api/v1/courses/{COURSE}/enrollments",
                              params={"page": page, "per_page": 200}, headers=headers, timeout=60)
        if answer.status_code == 404:
            return stored
        body = answer.json()
        stored.update({row["learner_ref"]: row["events"] for row in body["items"]})
        if page >= body["meta"]["pages"]:
            return stored
        page += 1


def _job_ends(base: str, headers: dict, job: int, deadline: float) -> dict:
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError):
            answer = requests.get(f"{base}/api/v1/jobs/{job}", headers=headers, timeout=30).json()
            if answer.get("status") in ("succeeded", "failed"):
                return answer
        time.sleep(1)
    return {"status": "still running"}


def _sign_in(base: str, password: str) -> str:
    credentials = {"username": "probe-admin", "password": password}
    answer = requests.post(f"{base}/api/v1/auth/login", json=credentials, timeout=30)
    return answer.json()["access_token"]


def _check(probe: Probe, base: str, password: str) -> dict:
    token = _sign_in(base, password)
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 300
    jobs = {job: _job_ends(base, headers, job, deadline) for _, job in probe.imports if job is not None}
    stored = _stored_events(base, headers)
    acknowledged = [(learner, n) for learner, n, done in probe.pushes if done]
    lost_pushes = [learner for learner, n in acknowledged if stored.get(learner, 0) < n]
    lost_imports = [
        job for learners, job in probe.imports if job is not None and jobs[job]["status"] == "succeeded"
        and any(stored.get(learner, 0) < PER_BATCH for learner in learners)
    ]
    runs = requests.get(f"{base}/api/v1/activity/imports", headers=headers, params={"per_page": 200},
                        timeout=60).json()
    return {
        "pushes sent": len(probe.pushes),
        "pushes acknowledged": len(acknowledged),
        "acknowledged pushes lost": len(lost_pushes),
        "imports sent": len(probe.imports),
        "imports acknowledged (202)": len(jobs),
        "import jobs succeeded / failed / unfinished": "{} / {} / {}".format(
            *(sum(j["status"] == s for j in jobs.values()) for s in ("succeeded", "failed", "still running"))
        ),
        "succeeded imports with rows lost": len(lost_imports),
        "import runs left running": sum(r.get("status") == "running" for r in runs.get("items", [])),
        "faults": probe.faults,
    }


def main(argv: list[str] | None = None) -> int:
    """Start the product, run the contract phase and the fault phase, print the counts."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--database-url", help="an empty-able PostgreSQL database (default: SQLite)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--examples", type=int, default=8, help="schemathesis --max-examples")
    parser.add_argument("--port", type=int, default=8771)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ssa-bench-probe-"))
    database = args.database_url or f"sqlite:///{folder / 'probe.db'}"
    if args.database_url:
        empty_database(args.database_url).close()
    env = {**os.environ, "APP_ENV": "production", "DATABASE_URL": database, "INSTANCE_DIR": str(folder),
           "ARTIFACTS_DIR": str(folder / "artifacts"), "SECRET_KEY": secrets.token_urlsafe(48),
           "JWT_SECRET_KEY": secrets.token_urlsafe(48)}
    password = secrets.token_urlsafe(16)
    _flask(env, "init-db")
    _flask(env, "create-user", "probe-admin", "--email", "probe@example.org", "--password", password,
           "--role", "admin", "--full-name", "Probe")
    # Small models for the form tasks, so that predictions answer (not 503 "no model").
    _flask(env, "train", "exam-score", "--candidates", "linear_regression", "--folds", "3", "--activate")
    _flask(env, "train", "dropout", "--candidates", "logistic_regression", "--folds", "3", "--activate")
    created = _flask(env, "create-api-key", "probe", "--scope", "ingest", "--may-create-courses")
    key = next(word for word in created.split() if word.startswith("ssa_"))
    log = folder / "access.log"
    server = _start(env, args.port, log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        token = _sign_in(base, password)
        probe = Probe(base, key, token, time.monotonic() + args.seconds)
        outage = _postgres_outage(database) if args.database_url else _sqlite_outage(folder / "probe.db")
        threads = [threading.Thread(target=probe.push, args=(name,)) for name in ("push-a", "push-b")]
        threads += [threading.Thread(target=probe.import_files),
                    threading.Thread(target=probe.inject, args=(server, outage))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        faulted = _statuses(log, 0)
        print(f"faults: {len(faulted)} requests, {sum(s >= 500 for s in faulted)} answered 5xx "
              f"({', '.join(f'{n}: {faulted.count(n)}' for n in sorted({s for s in faulted if s >= 500}))})")
        result = _check(probe, base, password)
        print(json.dumps(result, indent=1))
        # The contract phase last: it may change or deactivate any account, the probe's own included.
        mark, started = _line_count(log), time.monotonic()
        _contract(base, _sign_in(base, password), args.examples, folder / "schemathesis.txt")
        contract = _statuses(log, mark)
        print(f"contract: {len(contract)} requests, {sum(s >= 500 for s in contract)} answered 5xx "
              f"in {time.monotonic() - started:.0f} s")
        lost = result["acknowledged pushes lost"] + result["succeeded imports with rows lost"]
        return 0 if lost == 0 else 1
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
