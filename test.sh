#!/usr/bin/env bash
# Set up and run every test: lint, then the suite on SQLite, then again on PostgreSQL when
# TEST_DATABASE_URL is set. Extra arguments go to pytest (e.g. ./test.sh -k accounts).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "[test]"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Installing Debian's chromium and chromium-driver for the browser tests"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "The browser tests need Chromium and its driver: sudo apt-get install chromium chromium-driver" >&2
        exit 1
    fi
fi

# axe-core (pinned in tests/browser/axe.py) for the accessibility tests, from npm, kept out of git.
AXE_VERSION="$(sed -n 's/^AXE_VERSION = "\(.*\)"$/\1/p' tests/browser/axe.py)"
if [ ! -f tests/browser/.axe/node_modules/axe-core/axe.min.js ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "==> Installing axe-core@$AXE_VERSION for the accessibility tests"
        npm install --no-save --no-audit --no-fund --prefix tests/browser/.axe "axe-core@$AXE_VERSION" >/dev/null
    elif [ -n "${CI:-}" ]; then
        echo "The accessibility tests need axe-core from npm: install Node.js (npm)" >&2
        exit 1
    else
        echo "npm is missing: the accessibility tests will be skipped (install Node.js to run them)" >&2
    fi
fi

echo "==> ruff"
ruff check .

run_suite() {
    local status=0
    pytest --headless "$@" || status=$?
    # pytest exits 5 when nothing was collected: a selection that matched no test is not a failure.
    if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
        exit "$status"
    fi
}

if [ -z "${TEST_DATABASE_URL:-}" ]; then
    echo "==> Tests on SQLite"
    run_suite "$@"
    exit 0
fi

if [ -n "${TEST_SERIAL:-}" ]; then
    echo "==> Tests on SQLite"
    (unset TEST_DATABASE_URL; run_suite "$@")
    echo "==> Tests on PostgreSQL ($TEST_DATABASE_URL)"
    run_suite "$@"
    exit 0
fi

# Both stores side by side, each in its own instance folder (the suites share nothing else: every
# server and mailbox a test starts takes a free port), each line prefixed by its store. Two cores
# then run the two suites in about the time of the longer one. TEST_SERIAL=1 runs them one by one.
echo "==> Tests on SQLite and on PostgreSQL ($TEST_DATABASE_URL), side by side"
(unset TEST_DATABASE_URL; export TEST_INSTANCE_DIR="$PWD/instance/test-sqlite" SCREENSHOT_DIR="$PWD/instance/screenshots-sqlite" TEST_REDIS_URL="redis://127.0.0.1:6379/14"; run_suite "$@" 2>&1 \
    | sed -u 's/^/[sqlite] /'; exit "${PIPESTATUS[0]}") &
sqlite_pid=$!
(export TEST_INSTANCE_DIR="$PWD/instance/test-postgresql" SCREENSHOT_DIR="$PWD/instance/screenshots-postgresql" TEST_REDIS_URL="redis://127.0.0.1:6379/15"; run_suite "$@" 2>&1 \
    | sed -u 's/^/[postgresql] /'; exit "${PIPESTATUS[0]}") &
postgresql_pid=$!
sqlite_status=0
postgresql_status=0
wait "$sqlite_pid" || sqlite_status=$?
wait "$postgresql_pid" || postgresql_status=$?
echo "==> SQLite suite exited $sqlite_status, PostgreSQL suite exited $postgresql_status"
[ "$sqlite_status" -eq 0 ] && [ "$postgresql_status" -eq 0 ]
