"""Memory of a server worker under an oversized Dash callback from a signed-in student. Not a test.

Run:  python -m tests.benchmarks.bench_callback_memory [--mb 60] [--port 8765]
Starts the app with gunicorn (one sync worker) on a fresh SQLite database in a temporary folder,
creates a student, signs in, then posts a `--mb` MB body `[{},{},...]` to /_dash-update-component
(and, the same size, an object naming a real callback whose inputs are that list). Prints the
worker's resident memory (VmRSS) and its peak (VmHWM) before and after, with the answers' status.
Target: the peak grows by less than 100 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

TARGET_MB = 100


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) // 1024
    return values


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def _request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    # The server may answer (413) and close before reading the whole body: its answer is still read.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    cookies = response.headers.get_all("Set-Cookie") or []
    connection.close()
    return response.status, data, cookies


def _wait_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/api/v1/health")[0] in (200, 503):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def main(argv: list[str] | None = None) -> int:
    """Start the server, sign in a student, send the bodies, print the worker's memory."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--mb", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ssa-bench-callback-"))
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
           "INSTANCE_DIR": str(folder), "ARTIFACTS_DIR": str(folder / "artifacts")}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "init-db"], env=env, check=True, capture_output=True)
    subprocess.run([*flask, "create-user", "student1", "--email", "s@example.org",
                    "--password", "bench-password-1", "--role", "student", "--full-name", "S"],
                   env=env, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{args.port}",
                               "--timeout", "300", "wsgi:app"], env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_up(args.port, time.monotonic() + 120)
        login = json.dumps({"username": "student1", "password": "bench-password-1"}).encode()
        status, _, cookies = _request(args.port, "POST", "/api/v1/auth/login", login,
                                      {"Content-Type": "application/json"})
        assert status == 200, status
        jar = SimpleCookie()
        for cookie in cookies:
            jar.load(cookie)
        headers = {"Content-Type": "application/json", "X-CSRF-TOKEN": jar["csrf_access_token"].value,
                   "Cookie": "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())}
        worker = _worker_pid(server.pid)
        _request(args.port, "GET", "/")  # the first request sets Dash up
        before = _memory(worker)
        items = args.mb * 1024 * 1024 // 3
        bodies = {
            "[{},{},...]": b"[" + b",".join([b"{}"] * items) + b"]",
            '{"output": <a real callback>, "inputs": [{},{},...]}': (
                b'{"output":"shell-navbar.children","inputs":[' + b",".join([b"{}"] * items) + b"]}"
            ),
        }
        print(f"worker {worker} before: RSS {before['VmRSS']} MB, peak {before['VmHWM']} MB")
        for label, body in bodies.items():
            started = time.perf_counter()
            status, data, _ = _request(args.port, "POST", "/_dash-update-component", body, headers)
            after = _memory(worker)
            print(f"{label}: {len(body) / 2**20:.0f} MB -> {status} {data[:80]!r} in "
                  f"{time.perf_counter() - started:.2f} s; RSS {after['VmRSS']} MB, peak {after['VmHWM']} MB")
        growth = _memory(worker)["VmHWM"] - before["VmHWM"]
        print(f"peak growth: {growth} MB (target < {TARGET_MB} MB)")
        return 0 if growth < TARGET_MB else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
