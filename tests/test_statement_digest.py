"""A statement keeps the digest (and so the id check) it had before the quicker JSON reading and
writing: statements stored earlier are not refused as conflicting resends, and lines read as before."""

from __future__ import annotations

import math
from pathlib import Path

from services.ingest import json_records, statement_ids

STATEMENT = {
    "id": "6f1e6d1c-0b7e-4c51-9d6a-2b1f0f5e9a10", "stored": "2025-03-01T10:00:00Z", "version": "1.0.3",
    "actor": {"account": {"homePage": "https://lms.example.org", "name": "learner-7"},
              "name": "Zoë \u2028 Ñ"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/scored"},
    "object": {"id": "https://lms.example.org/mod/quiz/1",
               "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"}},
    "result": {"score": {"raw": 1e-07, "scaled": 0.00005, "max": 1e+16, "min": 0.5}, "duration": "PT1M",
               "extensions": {"https://example.org/big": 123456789012345678901234567890,
                              "https://example.org/nothing": None,
                              "https://example.org/tab\t": "a\u0000b\u001fc\"d\\e",
                              "é": [1, 2.5, True, False, -0.0]}},
    "timestamp": "2025-03-01T09:59:00+01:00",
}


def test_digests_are_the_ones_stored_before():
    # Written by the earlier code (the standard library's canonical JSON): numbers in exponent form, an
    # integer beyond 64 bits, null, NaN, escapes and non-ASCII keys all keep their digest.
    assert statement_ids.digest(STATEMENT) == "c8c30310e5fd2cf445c41656a3ce2eee"
    assert statement_ids.digest({**STATEMENT, "result": {"score": {"scaled": 0.75}}}) == \
        "a26fe90ef5818a344b6581c6f7590b22"
    assert statement_ids.digest({**STATEMENT, "result": {"score": {"scaled": float("nan")}}}) == \
        "1c3383734de74dc37364e2aacbcb3f5e"


def test_what_the_store_sets_is_not_part_of_the_content():
    resent = {**STATEMENT, "id": "other", "stored": "2026-01-01T00:00:00Z", "authority": {"name": "lrs"}}
    assert statement_ids.digest(resent) == statement_ids.digest(STATEMENT)
    assert statement_ids.digest({**STATEMENT, "timestamp": "2025-03-01T10:00:00Z"}) != \
        statement_ids.digest(STATEMENT)


def test_json_lines_read_as_the_standard_library_reads_them(tmp_path: Path):
    path = tmp_path / "statements.jsonl"
    path.write_text('{"n": 123456789012345678901234567890, "m": -9223372036854775809}\n'
                    '{"x": NaN, "y": 1e400}\n'
                    '{"x": 1,}\n'
                    '{"s": "\\ud800", "f": 0.1}\n')
    found = list(json_records.records(path))
    assert found[0].value == {"n": 123456789012345678901234567890, "m": -9223372036854775809}
    assert isinstance(found[0].value["n"], int)
    assert math.isnan(found[1].value["x"]) and found[1].value["y"] == math.inf
    assert found[2].value is None
    assert found[2].error == "malformed JSON: Expecting property name enclosed in double quotes (column 9)"
    assert found[3].value == {"s": "\ud800", "f": 0.1}
