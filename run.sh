#!/usr/bin/env bash
# Set everything up and run Student Success Analytics on its defaults:
# SQLite under instance/, demo admin and student, at http://127.0.0.1:${PORT:-8050}/, served by
# gunicorn (DEV_RELOAD=1: flask's reloading development server instead).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "[docs]"

export APP_ENV="${APP_ENV:-development}"
# Started for development on purpose: the server does not warn that it runs the development settings.
export SSA_DEVELOPMENT_SERVER=1
flask --app wsgi db-upgrade
echo "==> Demo courses (development only: generated, imported like a platform's files)"
flask --app wsgi seed-demo --courses-only
echo "==> Models (trained on the bundled data and the finished demo courses when none is active; a few minutes the first time)"
flask --app wsgi ensure-models
echo "==> Demo accounts, cohort and the running courses' risks (development only):"
flask --app wsgi seed-demo

docs_site="${DOCS_SITE_DIR:-build/docs}"
if [[ ! -f "$docs_site/index.html" ]] || [[ -n "$(find docs mkdocs.yml -newer "$docs_site/index.html" -print -quit)" ]]; then
    echo "==> Documentation (built from docs/ into $docs_site, served at /docs)"
    NO_MKDOCS_2_WARNING=1 mkdocs build --quiet --site-dir "$docs_site"
fi

port="${PORT:-8050}"
echo
echo "==> Student Success Analytics: http://127.0.0.1:${port}/   API docs: http://127.0.0.1:${port}/api/docs   Documentation: http://127.0.0.1:${port}/docs/"
if [[ "${DEV_RELOAD:-0}" == "1" ]]; then
    # Development only: restarts on code changes (a thread per request).
    exec flask --app wsgi run --reload --host "${HOST:-127.0.0.1}" --port "$port"
fi
# The production server the README documents: a fixed set of worker processes.
exec gunicorn -w "${WORKERS:-2}" -b "${HOST:-127.0.0.1}:${port}" wsgi:app
