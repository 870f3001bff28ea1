"""Composition root: `flask --app wsgi run` and `gunicorn wsgi:app` both serve this app."""

import gc

from server.factory import create_app

app = create_app()

# What start-up built (modules, models, the Dash layout) lives as long as the process: keep it out
# of every garbage collection, and collect less often, since a request's objects are freed by
# reference counting as it ends.
gc.freeze()
gc.set_threshold(20_000, 20, 20)
