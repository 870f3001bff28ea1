"""The one-click unsubscribe link of a nudge: a signed token, no sign-in; GET (a person following the
link) and POST (a mail client's one-click, RFC 8058) both stop the nudges and say so."""

from __future__ import annotations

import html

from flask import Blueprint, Flask, Response, current_app

from services.errors import NotFound
from services.tutoring import nudges

bp = Blueprint("unsubscribe", __name__)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> Response:
    body = PAGE.format(title=html.escape(title), text=html.escape(text))
    return Response(body, status=status, mimetype="text/html")


@bp.route("/unsubscribe/<token>", methods=("GET", "POST"))
def unsubscribe(token: str) -> Response:
    """Stop the learner's nudges and say so (or say the link is not valid)."""
    try:
        done = nudges.unsubscribe(nudges.NudgeSettings.from_config(current_app.config), token)
    except NotFound:
        return _page(404, "Link not valid", "This unsubscribe link is not valid. Nothing was changed.")
    text = f"You will not receive any more of these emails about {done['course']}."
    title = "You were already unsubscribed" if done["already"] else "You are unsubscribed"
    return _page(200, title, text)


def init_app(app: Flask) -> None:
    """Serve the unsubscribe link."""
    app.register_blueprint(bp)
