"""Gunicorn settings read from the project folder (`./run.sh` and the README's production command)."""

import gunicorn

# Gunicorn writes this into every response's Server header; the default names the software.
gunicorn.SERVER = "ssa"
