"""Celery worker entry point: `celery -A server.worker worker` (needs REDIS_URL)."""

from server.factory import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
