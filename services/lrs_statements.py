"""What an LRS checks in a statement it receives (xAPI 1.0.3 and 2.0, the rules of ADL's LRS conformance
tests that apply to receiving statements): required actor, verb and object; IRIs where the spec wants
IRIs; one inverse functional identifier per agent; UUID ids; ISO 8601 timestamps; no unknown properties.
`problem(statement)` returns the first problem in words, or None."""

from __future__ import annotations

import re
import uuid
from typing import Any

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
                  "version", "attachments"}
IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")
AGENT_KEYS = {"objectType", "name", *IDENTIFIERS}
GROUP_KEYS = AGENT_KEYS | {"member"}
VERB_KEYS = {"id", "display"}
CONTEXT_LISTS = ("parent", "grouping", "category", "other")
OBJECT_TYPES = {"Activity", "Agent", "Group", "StatementRef", "SubStatement"}
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")  # absolute: a scheme, then no whitespace
SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)
VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")


def new_id() -> str:
    """An id for a statement sent without one."""
    return str(uuid.uuid4())


def is_uuid(value: Any) -> bool:
    """Whether `value` is a UUID written as xAPI wants it (8-4-4-4-12 hex digits)."""
    return isinstance(value, str) and bool(UUID.match(value))


def problem(statement: Any) -> str | None:
    """The first thing that makes `statement` invalid for an LRS, or None."""
    if not isinstance(statement, dict):
        return "a statement must be a JSON object"
    unknown = sorted(set(statement) - STATEMENT_KEYS)
    if unknown:
        return f"unknown statement property {unknown[0]!r}"
    for check in (_id, _actor, _verb, _object, _context, _result, _timestamp, _version):
        found = check(statement)
        if found:
            return found
    return None


def _id(statement: dict) -> str | None:
    if "id" in statement and not is_uuid(statement["id"]):
        return "id must be a UUID (8-4-4-4-12 hexadecimal digits)"
    return None


def _actor(statement: dict) -> str | None:
    if "actor" not in statement:
        return "actor is required"
    return agent_problem(statement["actor"], "actor")


def agent_problem(agent: Any, where: str) -> str | None:
    """Why an Agent or Group is invalid: exactly one inverse functional identifier, each in its form."""
    if not isinstance(agent, dict):
        return f"{where} must be an object"
    kind = agent.get("objectType", "Agent")
    if kind not in ("Agent", "Group"):
        return f"{where}.objectType must be Agent or Group"
    unknown = sorted(set(agent) - (GROUP_KEYS if kind == "Group" else AGENT_KEYS))
    if unknown:
        return f"unknown {where} property {unknown[0]!r}"
    given = [name for name in IDENTIFIERS if name in agent]
    anonymous_group = kind == "Group" and not given and isinstance(agent.get("member"), list)
    if len(given) != 1 and not anonymous_group:
        return (f"{where} must have exactly one of {', '.join(IDENTIFIERS)} "
                f"({'none' if not given else ', '.join(given)} given)")
    return _identifier_problem(agent, given[0], where) if given else None


def _identifier_problem(agent: dict, name: str, where: str) -> str | None:
    value = agent[name]
    if name == "mbox" and not (isinstance(value, str) and value.startswith("mailto:") and "@" in value):
        return f"{where}.mbox must be a mailto: IRI (mailto:name@example.org)"
    if name == "mbox_sha1sum" and not (isinstance(value, str) and SHA1.match(value)):
        return f"{where}.mbox_sha1sum must be 40 hexadecimal digits"
    if name == "openid" and not (isinstance(value, str) and IRI.match(value)):
        return f"{where}.openid must be an IRI"
    if name == "account":
        if not isinstance(value, dict) or set(value) != {"homePage", "name"}:
            return f"{where}.account must have exactly homePage and name"
        if not (isinstance(value["homePage"], str) and IRI.match(value["homePage"])):
            return f"{where}.account.homePage must be an IRL"
        if not isinstance(value["name"], str) or not value["name"]:
            return f"{where}.account.name must be a non-empty string"
    return None


def _verb(statement: dict) -> str | None:
    verb = statement.get("verb")
    if verb is None:
        return "verb is required"
    if not isinstance(verb, dict):
        return "verb must be an object"
    unknown = sorted(set(verb) - VERB_KEYS)
    if unknown:
        return f"unknown verb property {unknown[0]!r}"
    if not (isinstance(verb.get("id"), str) and IRI.match(verb["id"])):
        return "verb.id must be an IRI (such as http://adlnet.gov/expapi/verbs/completed)"
    if "display" in verb and not _language_map(verb["display"]):
        return "verb.display must be a language map ({\"en-US\": \"completed\"})"
    return None


def _object(statement: dict) -> str | None:
    thing = statement.get("object")
    if thing is None:
        return "object is required"
    if not isinstance(thing, dict):
        return "object must be an object"
    kind = thing.get("objectType", "Activity")
    if kind not in OBJECT_TYPES:
        return f"object.objectType must be one of {', '.join(sorted(OBJECT_TYPES))}"
    if kind in ("Agent", "Group"):
        return agent_problem(thing, "object")
    if kind == "StatementRef":
        return None if is_uuid(thing.get("id")) else "object.id of a StatementRef must be a UUID"
    if kind == "SubStatement":
        return None
    if not (isinstance(thing.get("id"), str) and IRI.match(thing["id"])):
        return "object.id must be an IRI"
    return None


def _context(statement: dict) -> str | None:
    context = statement.get("context")
    if context is None:
        return None
    if not isinstance(context, dict):
        return "context must be an object"
    if "registration" in context and not is_uuid(context["registration"]):
        return "context.registration must be a UUID"
    if "instructor" in context:
        found = agent_problem(context["instructor"], "context.instructor")
        if found:
            return found
    activities = context.get("contextActivities", {})
    if not isinstance(activities, dict):
        return "context.contextActivities must be an object"
    for name, listed in activities.items():
        if name not in CONTEXT_LISTS:
            return f"context.contextActivities may only have {', '.join(CONTEXT_LISTS)}, not {name!r}"
        for activity in listed if isinstance(listed, list) else [listed]:
            if not (isinstance(activity, dict) and _iri(activity.get("id"))):
                return f"each context.contextActivities.{name} activity must have an IRI id"
    return None


def _result(statement: dict) -> str | None:
    score = statement.get("result", {}).get("score") if isinstance(statement.get("result"), dict) else None
    if "result" in statement and not isinstance(statement["result"], dict):
        return "result must be an object"
    if not isinstance(score, dict):
        return None
    scaled = score.get("scaled")
    if scaled is not None and not (_number(scaled) and -1 <= scaled <= 1):
        return "result.score.scaled must be a number from -1 to 1"
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if any(value is not None and not _number(value) for value in (low, high, raw)):
        return "result.score.min, max and raw must be numbers"
    if low is not None and high is not None and low > high:
        return "result.score.min must not exceed max"
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        return "result.score.raw must lie between min and max"
    return None


def _iri(value: Any) -> bool:
    return isinstance(value, str) and bool(IRI.match(value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(statement: dict) -> str | None:
    for name in ("timestamp", "stored"):
        value = statement.get(name)
        if value is None:
            continue
        if not (isinstance(value, str) and TIMESTAMP.match(value)) or value.endswith("-00:00"):
            return f"{name} must be an ISO 8601 date and time (2024-03-01T10:00:00Z)"
    return None


def _version(statement: dict) -> str | None:
    value = statement.get("version")
    if value is not None and not (isinstance(value, str) and VERSION.match(value)):
        return "version must be 1.0.x or 2.0.x"
    return None


def _language_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(text, str) for text in value.values())
