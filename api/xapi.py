"""An LRS's statements resource, for platforms that send xAPI to an LRS (Moodle's logstore_xapi, Open
edX's event-routing-backends): an ingest key by HTTP Basic (its prefix as the user, the key as the
password), the `X-Experience-API-Version` header required and answered."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from api.contract import current_actor, operation
from api.schemas.xapi import STATEMENTS_BODY, AboutOut, StatementIdsOut, StatementQuery
from server.errors import UnsupportedMediaType
from services import lrs

bp = Blueprint("xapi", __name__, url_prefix="/xapi")


@bp.after_request
def name_the_version(response: Response) -> Response:
    """Every response names the version it speaks (the request's major version, else the newest)."""
    response.headers[lrs.VERSION_HEADER] = g.get("xapi_version") or lrs.SUPPORTED["2.0"]
    return response


def _statements_body():
    g.xapi_version = lrs.answered_version(request.headers.get(lrs.VERSION_HEADER))
    if not request.is_json:
        raise UnsupportedMediaType("Send the statements as application/json.")
    return request.get_json()


@bp.get("/about")
@operation(auth="public", response=AboutOut, tags=("xapi",))
def about():
    """The xAPI versions this LRS speaks."""
    return lrs.about()


@bp.post("/statements")
@operation(auth="lrs", response=StatementIdsOut, errors=(409,), tags=("xapi",), raw_body=STATEMENTS_BODY)
def post_statements():
    """Store one statement or a list of them (an LRS's POST); the ids stored, in the order sent."""
    ids, _report = lrs.post(_statements_body(), current_actor())
    return ids


@bp.put("/statements")
@operation(
    auth="lrs", query=StatementQuery, status=204, errors=(409,), tags=("xapi",), raw_body=STATEMENTS_BODY
)
def put_statement(query: StatementQuery):
    """Store one statement under the id given as statementId (an LRS's PUT)."""
    lrs.put(_statements_body(), query.statementId, current_actor())
    return Response(status=204)
