"""Celery worker entry point: `celery -A server.worker worker` (needs REDIS_URL)."""

from server.factory import create_app, settle_process

flask_app = create_app()
celery = flask_app.extensions["celery"]
settle_process()
