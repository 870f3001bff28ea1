#!/usr/bin/env bash
# Set everything up and run Student Success Analytics on its defaults:
# SQLite under instance/, demo admin and student, at http://127.0.0.1:${PORT:-8050}/
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv ""

export APP_ENV="${APP_ENV:-development}"
flask --app wsgi db-upgrade
echo "==> Models (trained on the bundled data when none is active; about a minute the first time)"
flask --app wsgi ensure-models
echo "==> Demo accounts (development only):"
flask --app wsgi seed-demo

port="${PORT:-8050}"
echo
echo "==> Student Success Analytics: http://127.0.0.1:${port}/   API docs: http://127.0.0.1:${port}/api/docs"
exec flask --app wsgi run --host "${HOST:-127.0.0.1}" --port "$port"
