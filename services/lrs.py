"""The statements resource of an LRS (xAPI 1.0.3 and 2.0), for platforms that send xAPI to an LRS:
statements are checked as an LRS checks what it receives (services/lrs_statements.py; one invalid
statement refuses the request, as an LRS does), given an id when they have none, then imported as a
push is (services/activity_push.py: same store, rules and course limits of the key). What the importer
refuses (a verb no map knows, what is not learner activity) is reported per statement in the import
history, and a statement outside its course's window is kept aside until the window covers it; the
request still succeeds, as an LRS stores what it does not use.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from db.api_keys import ApiKey
from services import activity_push, lrs_statements
from services.errors import Conflict, ServiceError
from services.ingest import statement_ids, statement_store, xapi

SUPPORTED = {"1.0": "1.0.3", "2.0": "2.0.0"}  # the versions a request may name, and the one answered
VERSION_HEADER = "X-Experience-API-Version"
_VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
MAX_STATEMENTS = activity_push.MAX_ITEMS


class InvalidStatement(ServiceError):
    """A request an LRS refuses with 400 (a statement, the version header or the statement id)."""

    status, code = 400, "invalid_statement"


def about() -> dict[str, Any]:
    """The LRS's About resource."""
    return {"version": sorted(SUPPORTED.values())}


def answered_version(requested: str | None) -> str:
    """The version the response names for a request's `X-Experience-API-Version` (400 when absent or
    not one of 1.0.x, 2.0.x)."""
    found = _VERSION.match((requested or "").strip())
    if not found:
        raise InvalidStatement(
            f"Send the {VERSION_HEADER} header with 1.0.x or 2.0.x (this LRS speaks 1.0.3 and 2.0.0).",
            {VERSION_HEADER: "1.0.3 or 2.0.0"},
        )
    return SUPPORTED[found.group(1)]


def post(body: Any, key: ApiKey) -> tuple[list[str], dict[str, Any]]:
    """Store one statement or a list of them; the ids (generated where missing) and the push report."""
    statements = body if isinstance(body, list) else [body]
    if not statements:
        raise InvalidStatement("Send a statement or a non-empty list of statements.")
    if len(statements) > MAX_STATEMENTS:
        raise InvalidStatement(f"Send at most {MAX_STATEMENTS} statements per request.")
    return _store(statements, key, _check(statements))


def put(body: Any, statement_id: str | None, key: ApiKey) -> dict[str, Any]:
    """Store one statement under `statement_id` (the query's statementId); the push report."""
    if not lrs_statements.is_uuid(statement_id):
        raise InvalidStatement("Send the statement's id as the statementId query parameter (a UUID).",
                               {"statementId": "a UUID"})
    if not isinstance(body, dict):
        raise InvalidStatement("PUT takes one statement (a JSON object).")
    if "id" in body and str(body["id"]).lower() != statement_id.lower():
        raise InvalidStatement("The statement's id differs from the statementId parameter.",
                               {"id": statement_id})
    statement = {**body, "id": statement_id}
    return _store([statement], key, _check([statement]))[1]


def _check(statements: list[Any]) -> dict[int, str]:
    """400 naming the first invalid statement; 400 for one id twice in the request; 409 for an id the
    store holds with other content. The content digests of the statements with an id, by index."""
    for index, statement in enumerate(statements):
        found = lrs_statements.problem(statement)
        if found:
            raise InvalidStatement(f"Statement {index} is invalid: {found}.", {f"statements[{index}]": found})
    given = [statement_ids.normal(s["id"]) for s in statements if "id" in s]
    if len(set(given)) != len(given):
        raise InvalidStatement("The same statement id is used twice in the request.")
    with_ids = [(i, statement_ids.normal(s["id"]), statement_ids.digest(s)) for i, s in enumerate(statements)
                if "id" in s]
    taken = statement_store.conflicts(pd.DataFrame(with_ids, columns=list(statement_ids.COLUMNS)))
    if taken:
        raise Conflict(f"Statement {taken[0].line}: {taken[0].reason}.", code="statement_conflict")
    return {index: digest for index, _, digest in with_ids}


def _store(statements: list[dict], key: ApiKey, digests: dict[int, str]) -> tuple[list[str], dict[str, Any]]:
    """Give each statement its id (when it has none) and the time it is stored, then import them; the
    digests are reused, as neither the id nor the time stored is part of a statement's content."""
    stored = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    ready = [{**s, "id": s.get("id") or lrs_statements.new_id(), "stored": stored} for s in statements]
    report = activity_push.store(xapi.statements_chunk(ready, digests=digests), key)
    return [s["id"] for s in ready], report
