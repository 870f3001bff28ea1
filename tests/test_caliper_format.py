"""IMS Caliper 1.1 and 1.2 as a file format: envelopes and bare events in every file shape, the learner,
course and time as Canvas, Open edX and the spec write them, the action table, and what is not learner
activity. The events are authored here (tests/caliper_data.py) in each platform's documented shape."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from services.ingest import caliper, event_map, formats
from services.ingest.caliper_actions import CALIPER_ACTIONS
from services.ingest.runs import reason_kind
from tests import caliper_data as data


def _frame(chunks) -> tuple[pd.DataFrame, list]:
    chunks = list(chunks)
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    return frame, [rejection for chunk in chunks for rejection in chunk.rejected]


def _lines(path: Path, items: list) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def test_canvas_envelopes_keep_a_learners_activity_and_say_why_the_rest_is_not(tmp_path):
    path = _lines(tmp_path / "canvas.jsonl", data.CANVAS)
    assert formats.detect(path) == "caliper"
    frame, rejected = _frame(caliper.read(path, chunk_rows=3))
    assert frame["type"].tolist() == ["access", "problem", "discussion", "wiki"]
    assert set(frame["learner"]) == {data.CANVAS_LEARNER} and set(frame["course"]) == {data.CANVAS_COURSE}
    assert frame["time"].iloc[0] == pd.Timestamp("2025-02-03T09:00:00")
    assert [(r.line, r.reason) for r in rejected] == [
        (5, "not learner activity: 'sessionevent.loggedin'"),
        (6, "not learner activity: the actor's role is Instructor"),
        (7, "not learner activity: the actor is a SoftwareApplication, not a Person"),
        (8, "not learner activity: another user acting as the learner (Canvas masquerade)"),
    ]


def test_open_edx_events_find_the_course_in_the_object_and_its_url(tmp_path):
    path = _lines(tmp_path / "edx.jsonl", data.EDX)
    frame, rejected = _frame(caliper.read(path))
    assert frame["type"].tolist() == ["video", "video", "video", "problem", "navigate"]
    assert set(frame["course"]) == {data.EDX_COURSE} and set(frame["learner"]) == {data.EDX_LEARNER}
    assert [(r.line, r.reason) for r in rejected] == [(6, "not learner activity: 'event.activated'")]


def test_a_section_counts_in_its_offering_and_terms_may_be_caliper_1_0_iris(tmp_path):
    events = [
        data.spec_event(1, "ViewEvent", "Viewed", {"id": "https://lms.example.edu/d/1", "type": "Document"}),
        data.spec_event(2, "http://purl.imsglobal.org/caliper/v1/MediaEvent",
                        "http://purl.imsglobal.org/vocab/caliper/v1/action#Paused", "https://v.example.edu/1"),
        data.variant(data.spec_event(3, "ForumEvent", "Subscribed", "https://lms.example.edu/forums/1"),
                     "group", value={"id": SECTION_ONLY, "type": "CourseSection"}),
        data.variant(data.spec_event(4, "ToolUseEvent", "Used", "https://tool.example.edu/"), "group",
                     remove=True),
    ]
    frame, rejected = _frame(caliper.read(_lines(tmp_path / "spec.jsonl", events)))
    assert rejected == []
    assert frame["type"].tolist() == ["access", "video", "discussion", "access"]
    # the offering above the section; a section alone; membership.organization (a bare section IRI)
    assert frame["course"].tolist() == [data.OFFERING, data.OFFERING, SECTION_ONLY, data.SECTION]


SECTION_ONLY = "https://lms.example.edu/terms/2025-spring/courses/chem-101/sections/1"


def test_every_file_shape_gives_the_same_events(tmp_path):
    envelopes = data.CANVAS[:4]
    bare = [envelope["data"][0] for envelope in envelopes]
    shapes = {
        "lines of envelopes": _lines(tmp_path / "a.jsonl", envelopes),
        "lines of events": _lines(tmp_path / "b.jsonl", bare),
        "array of envelopes": tmp_path / "c.json",
        "array of events": tmp_path / "d.json",
        "pretty-printed envelopes": tmp_path / "e.json",
        "one envelope of four events": tmp_path / "f.json",
    }
    shapes["array of envelopes"].write_text(json.dumps(envelopes, indent=2))
    shapes["array of events"].write_text(json.dumps(bare))
    shapes["pretty-printed envelopes"].write_text("\n".join(json.dumps(e, indent=2) for e in envelopes))
    shapes["one envelope of four events"].write_text(json.dumps({**envelopes[0], "data": bare}, indent=2))
    for shape, path in shapes.items():
        assert formats.detect(path) == "caliper", shape
        frame, rejected = _frame(formats.read(path))
        assert rejected == [] and frame["type"].tolist() == ["access", "problem", "discussion", "wiki"], shape
        assert len(set(frame["key"])) == 4, shape


def test_keys_come_from_event_ids_whatever_the_file_shape(tmp_path):
    lines = _frame(caliper.read(_lines(tmp_path / "a.jsonl", data.EDX[:2])))[0]
    pretty = tmp_path / "b.json"
    pretty.write_text(json.dumps(data.EDX[:2], indent=1))
    assert lines["key"].tolist() == _frame(caliper.read(pretty))[0]["key"].tolist()
    other = data.variant(data.EDX[0], "data", 0, "id", value="urn:uuid:e0000001-0000-4000-8000-0000000000ff")
    assert _frame(caliper.read(_lines(tmp_path / "c.jsonl", [other])))[0]["key"][0] != lines["key"][0]


BAD = [
    ("not an object", ["just text"], "not a JSON object (a Caliper event)"),
    ("no type", [data.variant(data.EDX[1]["data"][0], "type", remove=True)], "event without type"),
    ("an entity", [{"id": "https://lms.example.edu/docs/1", "type": "Document"}],
     "an entity, not an event: Document without action"),
    ("no learner", [data.variant(data.EDX[1]["data"][0], "actor", remove=True)],
     "missing learner (actor.id)"),
    ("bad time", [data.variant(data.EDX[1]["data"][0], "eventTime", value="yesterday")],
     "unparseable time 'yesterday'"),
    ("unknown action", [data.variant(data.EDX[1]["data"][0], "action", value="Juggled")],
     "unknown event type 'mediaevent.juggled'"),
    ("unknown type", [data.variant(data.EDX[1]["data"][0], "type", value="DanceEvent")],
     "unknown event type 'danceevent.started'"),
]


@pytest.mark.parametrize(("case", "items", "reason"), BAD, ids=[case for case, _, _ in BAD])
def test_a_bad_event_is_rejected_by_its_position_with_its_reason(tmp_path, case, items, reason):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([data.EDX[2]["data"][0], *items]))
    frame, rejected = _frame(caliper.read(path))
    assert len(frame) == 1 and [(r.line, r.reason) for r in rejected] == [(2, f"event 2: {reason}")]
    assert reason_kind(rejected[0].reason) == reason.split(": ")[0]


def test_an_event_without_its_time_takes_the_envelopes_send_time(tmp_path):
    envelope = data.variant(data.EDX[1], "data", 0, "eventTime", remove=True)
    frame, _ = _frame(caliper.read(_lines(tmp_path / "a.jsonl", [envelope])))
    assert frame["time"].tolist() == [pd.Timestamp(data.EDX[1]["sendTime"]).tz_localize(None)]


def test_a_malformed_line_is_rejected_and_the_rest_goes_through(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(data.EDX[1]) + "\n{not json\n" + json.dumps(data.EDX[2]) + "\n")
    frame, rejected = _frame(caliper.read(path))
    assert len(frame) == 2 and [r.line for r in rejected] == [2] and "malformed JSON" in rejected[0].reason


def test_the_action_table_is_data_and_the_setting_extends_it(tmp_path, monkeypatch):
    assert CALIPER_ACTIONS["mediaevent.changedspeed"] == "video"
    assert CALIPER_ACTIONS["gradeevent.graded"] == CALIPER_ACTIONS["sessionevent.loggedin"] == "none"
    mapping = event_map.for_format("caliper")
    assert mapping.type_of("navigationevent.navigatedto entity") == "access"
    assert mapping.type_of("navigationevent.navigatedto webpage") == "navigate"
    monkeypatch.setenv(event_map.SETTING, json.dumps({"caliper": {"SessionEvent.LoggedIn": "access"}}))
    frame, rejected = _frame(caliper.read(_lines(tmp_path / "a.jsonl", data.CANVAS[4:5])))
    assert rejected == [] and frame["type"].tolist() == ["access"]


def test_a_request_body_numbers_its_events_from_zero():
    chunk = caliper.request_chunk([data.EDX[0], data.EDX[5], data.EDX[1]])
    assert chunk.frame["line"].tolist() == [0, 2] and [r.line for r in chunk.rejected] == [1]
    assert chunk.lines_read == 3


def test_a_gzip_file_and_undecodable_bytes_are_read_as_the_other_formats_read_them(tmp_path):
    import gzip

    line = json.dumps(data.EDX[1]).encode().replace(b'"eventVersion": "1.0"', b'"eventVersion": "1.\xff"')
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + line + b"\n" + json.dumps(data.EDX[2]).encode() + b"\n"))
    assert formats.detect(path) == "caliper"
    frame, rejected = _frame(caliper.read(path))
    assert rejected == [] and frame["type"].tolist() == ["video", "video"]
    assert frame["line"].tolist() == [1, 2]


def test_learners_courses_and_roles_in_their_other_documented_forms(tmp_path):
    base = data.spec_event(5, "ToolLaunchEvent", "Returned", "https://tool.example.edu/")
    no_group = data.variant(data.variant(base, "group", remove=True), "membership", remove=True)
    events = [
        data.variant(base, "actor", value=data.SPEC_LEARNER),  # the actor as a bare IRI
        data.variant(no_group, "actor", value={"type": "Person", "extensions": {
            "com.instructure.canvas": {"entity_id": "10000000000007"}}}),  # Canvas: no id, its entity_id
        data.variant(no_group, "object", value={
            "id": "https://lms.example.edu/bio/ch1", "type": "Chapter",
            "isPartOf": {"id": "https://lms.example.edu/bio", "type": "Document",
                         "isPartOf": {"id": data.OFFERING, "type": "CourseOffering"}}}),
        data.variant(base, "membership", "roles",
                     value=["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]),
        data.variant(data.spec_event(6, "ThreadEvent", "Created", "https://lms.example.edu/t/1"),
                     "membership", "roles", value=["Instructor#TeachingAssistant"]),
    ]
    frame, rejected = _frame(caliper.read(_lines(tmp_path / "a.jsonl", events)))
    assert frame["learner"].tolist() == [data.SPEC_LEARNER, "10000000000007", data.SPEC_LEARNER,
                                         data.SPEC_LEARNER]
    assert frame["course"].tolist() == [data.OFFERING, None, data.OFFERING, data.OFFERING]
    assert frame["type"].tolist() == ["page_close"] * 4
    assert [(r.line, r.reason) for r in rejected] == [
        (5, "not learner activity: the actor's role is TeachingAssistant")]
