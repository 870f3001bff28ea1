"""Gunicorn settings read from the project folder (`./run.sh`, the production start in docs/)."""

import gunicorn

# Gunicorn writes this into every response's Server header; the default names the software.
gunicorn.SERVER = "ssa"
