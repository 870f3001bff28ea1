"""API figures under a real gunicorn on loopback (issue: prediction, records, jobs and models API).

Run:  python -m tests.benchmarks.bench_api [--database-url postgresql://postgres@127.0.0.1:5432/bench]
        [--export-rows 1000000] [--batch-rows 1000000]
Needs `wrk` for the throughput figure (apt-get install wrk). Uses a throwaway instance folder; with
--database-url the tables in that database are dropped and recreated.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers import GOOD_EXAM as EXAM

ROOT = Path(__file__).resolve().parents[2]
WRK_SCRIPT = """
local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
local n = 0
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. token}
  if n % 2 == 0 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/predictions/exam-score", headers, body)
  end
  return wrk.format("GET", "/api/v1/records?per_page=20", headers)
end
"""


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children so far (VmHWM, MB)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{candidate}/status").read_text()
        except FileNotFoundError:
            continue
        total = max(total, int(re.search(r"VmHWM:\s+(\d+)", text).group(1)))
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Server:
    """gunicorn serving wsgi:app on a loopback port."""

    def __init__(self, env: dict[str, str], workers: int, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--threads",
                "1",
                "--timeout",
                "600",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                self.request("GET", "/api/v1/health")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def paired_medians(port: int, requests: list[tuple[str, str, dict, bytes | None]], count: int) -> list[float]:
    """Median milliseconds of each request, sent in turn `count` times over one client connection,
    so that every request is timed under the same conditions (this machine's speed drifts)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times: list[list[float]] = [[] for _ in requests]
    for _ in range(count):
        for spent, (method, path, headers, body) in zip(times, requests, strict=True):
            start = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            spent.append((time.perf_counter() - start) * 1000)
            assert response.status == 200, response.status
    connection.close()
    return [statistics.median(spent) for spent in times]


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so the next read comes from the disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def timed_export(port: int, auth: dict) -> tuple[int, float]:
    """(rows, seconds) of one export of every exam record over HTTP, read as it streams."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", "/api/v1/records/export.csv?task=exam-score", headers=auth)
    response = connection.getresponse()
    lines = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
    connection.close()
    return lines - 1, time.perf_counter() - start


def seed_records(rows: int) -> None:
    """Insert `rows` exam records for bench-admin, each a copy of the newest record saved through the
    API (full outputs: contributions and recommendations), in a child process with the bench
    environment."""
    from db.connection import database
    from db.tables import Record, User
    from server.factory import create_app

    app = create_app()
    rng = random.Random(1)
    with app.app_context():
        user = User.by_login("bench-admin")
        saved = Record.with_outputs().where(Record.task == "exam-score").order_by(Record.id.desc()).get()
        for start in range(0, rows, 5000):
            batch = [
                {
                    "user": user.id,
                    "task": "exam-score",
                    "student_ref": f"S{i % 5000}",
                    "inputs": saved.inputs,
                    "outputs": saved.outputs,
                    "model_version": 1,
                    "value": 60 + rng.random() * 30,
                    "level": "Average",
                }
                for i in range(start, min(rows, start + 5000))
            ]
            with database.atomic():
                Record.add_many(batch)
        if database.obj.__class__.__name__.lower().startswith(("postgres", "pooledpostgres")):
            # What autovacuum would do after a bulk load (planner statistics, visibility map),
            # done now so that it does not run during the timed export.
            database.execute_sql("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed-records", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_records:
        seed_records(args.seed_records)
        return
    workdir = Path(tempfile.mkdtemp(prefix="ssa-bench-api-"))
    atexit.register(shutil.rmtree, workdir, True)  # its databases can take gigabytes
    env = {
        **os.environ,
        "APP_ENV": "production",  # as deployed: no debug mode, compact JSON
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_DIR": str(workdir),
        "ARTIFACTS_DIR": str(workdir / "artifacts"),
        "MAX_UPLOAD_MB": "2000",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
    }
    if args.database_url:
        from db.connection import bind_database
        from tests.benchmarks.postgres import create_database_if_missing

        create_database_if_missing(args.database_url)
        database = bind_database(args.database_url)
        for table in database.get_tables():
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        database.close()
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db-upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "ensure-models"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *flask,
            "create-user",
            "bench-admin",
            "--email",
            "b@example.org",
            "--password",
            "quartz-meadow-91",
            "--role",
            "admin",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"# API benchmark on {backend} ({os.cpu_count()} cores): python -m tests.benchmarks.bench_api"
        + (f" --database-url {args.database_url}" if args.database_url else "")
    )

    server = Server(env, workers=1, port=args.port)
    try:
        status, data = server.request(
            "POST",
            "/api/v1/auth/login",
            json.dumps({"username": "bench-admin", "password": "quartz-meadow-91"}).encode(),
            {"Content-Type": "application/json"},
        )
        token = json.loads(data)["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        body = json.dumps({**EXAM, "save": True, "student_ref": "bench"}).encode()
        headers = {**auth, "Content-Type": "application/json"}
        predict = ("POST", "/api/v1/predictions/exam-score", headers, body)
        paired_medians(args.port, [predict], 50)
        health, predict = paired_medians(args.port, [("GET", "/api/v1/health", {}, None), predict], 1000)
        print(
            "- prediction with save over HTTP (1 gunicorn worker, one client, in turn with GET /health): "
            f"median {predict:.2f} ms;"
            f" GET /health median {health:.2f} ms; difference {predict - health:.2f} ms"
        )
    finally:
        server.stop()

    if shutil.which("wrk"):
        server = Server(env, workers=2, port=args.port)
        try:
            script = workdir / "mixed.lua"
            script.write_text(WRK_SCRIPT)
            result = subprocess.run(
                [
                    "wrk",
                    "-t",
                    "2",
                    "-c",
                    "16",
                    "-d",
                    "20s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{args.port}",
                ],
                env={**env, "BENCH_TOKEN": token, "BENCH_BODY": json.dumps(EXAM)},
                capture_output=True,
                text=True,
            )
            rps = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1)
            p99 = re.search(r"99%\s+([\d.]+\w+)", result.stdout).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
            socket_errors = re.search(r"Socket errors: (.*)", result.stdout)
            print(
                f"- mixed predict/list-records, gunicorn -w 2, 16 connections, 20 s (wrk): {rps} requests/s, "
                f"p99 {p99}, non-2xx {errors.group(1) if errors else 0}, "
                f"socket errors {socket_errors.group(1) if socket_errors else 'none'}"
            )
        finally:
            server.stop()
    else:
        print("- throughput: skipped (install wrk: apt-get install wrk)")

    subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_api", "--seed-records", str(args.export_rows)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = Server(env, workers=1, port=args.port)
    try:
        before = peak_rss_mb(server.process.pid)
        for cache in ("page cache dropped first", "page cache warm"):
            if cache.endswith("dropped first") and not drop_page_cache():
                continue
            rows, seconds = timed_export(args.port, auth)
            print(
                f"- export of {rows:,} stored records ({cache}): {seconds:.1f} s, "
                f"{rows / seconds:,.0f} rows/s, server peak RSS {peak_rss_mb(server.process.pid):.0f} MB"
                f" (before: {before:.0f} MB)"
            )

        from modelling.synthetic import generate_exam

        source = workdir / "batch.csv"
        generate_exam(args.batch_rows, 5).drop(columns="exam_score").to_csv(source, index=False)
        start = time.perf_counter()
        with source.open("rb") as handle:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=3600)
            connection.request(
                "POST",
                "/api/v1/predictions/exam-score/batch",
                body=handle,
                headers={**auth, "Content-Type": "text/csv", "Content-Length": str(source.stat().st_size)},
            )
            response = connection.getresponse()
            size = 0
            while chunk := response.read(1 << 20):
                size += len(chunk)
        seconds = time.perf_counter() - start
        print(
            f"- batch endpoint, {args.batch_rows:,} exam rows: status {response.status}, {seconds:.1f} s "
            f"({args.batch_rows / seconds:,.0f} rows/s), {size / 1e6:.0f} MB returned, server peak RSS "
            f"{peak_rss_mb(server.process.pid):.0f} MB"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
