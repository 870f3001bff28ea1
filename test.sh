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

echo "==> Tests on SQLite"
(unset TEST_DATABASE_URL; run_suite "$@")
if [ -n "${TEST_DATABASE_URL:-}" ]; then
    echo "==> Tests on PostgreSQL ($TEST_DATABASE_URL)"
    run_suite "$@"
fi
