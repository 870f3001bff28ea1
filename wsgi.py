"""Composition root: `flask --app wsgi run` and `gunicorn wsgi:app` both serve this app."""

from server.factory import create_app, settle_process

app = create_app()
settle_process()
