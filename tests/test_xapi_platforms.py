"""xAPI as learning platforms write it: reasons counted whole, the course found by its type, learners by
every identifier, the verb map, statement ids kept per store."""

from __future__ import annotations

import json

from services.ingest.runs import reason_kind


def _statement(verb: str, **overrides) -> dict:
    statement = {
        "actor": {"account": {"homePage": "https://lms.example.org", "name": "learner-1"}},
        "verb": {"id": verb},
        "object": {"id": "https://lms.example.org/activity/1"},
        "context": {"contextActivities": {"parent": [{"id": "course-1"}]}},
        "timestamp": "2024-03-01T10:00:00Z",
    }
    statement.update(overrides)
    return statement


def test_reason_kinds_keep_iris_whole_and_drop_the_statement_label():
    assert reason_kind("statement 12: unknown event type 'http://example.org/verbs/danced'") == (
        "unknown event type 'http://example.org/verbs/danced'"
    )
    assert reason_kind("statement 3: malformed JSON: Expecting value; the rest") == "malformed JSON"
    assert reason_kind("outside the course window: day 7 of a 5-day course") == "outside the course window"


def test_an_array_import_counts_rejections_by_their_kind(app, tmp_path):
    from services.ingest import import_file

    danced, sang = "http://example.org/verbs/danced", "http://example.org/verbs/sang"
    items = [_statement(danced), _statement(danced), _statement(sang), _statement("http://adlnet.gov/expapi/verbs/answered")]
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(items))
    with app.app_context():
        report = import_file(path, fmt="xapi")
    assert report.rows_imported == 1
    assert report.reasons == {f"unknown event type {danced!r}": 2, f"unknown event type {sang!r}": 1}


# --- the course, the learner, the time, as platforms write them ------------------------------------------

SITE = {"id": "https://lms.example.org", "definition": {"type": "http://id.tincanapi.com/activitytype/lms"}}
EDX_COURSE = "https://courses.edx.org/course/course-v1:UTAustinX+UT.7.10x+3T2016"  # 66 characters


def _typed(iri: str, kind: str) -> dict:
    return {"id": iri, "objectType": "Activity", "definition": {"type": kind, "name": {"en": iri}}}


def _in(contexts: dict, **overrides) -> dict:
    viewed = "http://id.tincanapi.com/verb/viewed"
    return _statement(viewed, context={"contextActivities": contexts}, **overrides)


def test_the_course_is_the_course_typed_activity_wherever_the_platform_puts_it():
    from services.ingest import formats

    section = _typed("https://lms.example.org/course/section.php?id=1",
                     "http://id.tincanapi.com/activitytype/section")
    forum = _typed("https://lms.example.org/mod/forum/view.php?id=1",
                   "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/forum")
    statements = [
        # Moodle: the section first, the course second, the site as category
        _in({"parent": [section, _typed("M-1", "https://w3id.org/xapi/cmi5/activitytype/course")],
             "category": [SITE]}),
        _in({"parent": [forum], "grouping": [_typed("T-1", "http://id.tincanapi.com/activitytype/lms/course")]}),
        _in({"other": [_typed("A-1", "http://adlnet.gov/expapi/activities/course")], "category": [SITE]}),
        _in({"category": _typed("C-1", "https://example.org/types/course/")}),  # one object, not a list
        # the course itself viewed: the object is the course
        _in({"category": [SITE]}, object=_typed("O-1", "http://adlnet.gov/expapi/activities/course")),
        # a module typed as a course inside a course: the context's course wins
        _in({"parent": [_typed("M-1", "https://w3id.org/xapi/cmi5/activitytype/course")]},
            object=_typed("M-1/package", "https://w3id.org/xapi/cmi5/activitytype/course")),
        _in({"parent": [forum, {"id": "untyped-1"}]}),  # no course type: the untyped parent
        _in({"parent": [section, forum], "category": [SITE]}),  # only parts of a course: no course
    ]
    chunk = formats.statements_chunk(statements)
    assert chunk.rejected == []
    assert chunk.frame["course"].tolist() == ["M-1", "T-1", "A-1", "C-1", "O-1", "M-1", "untyped-1", None]


def test_learners_by_every_inverse_functional_identifier_and_time_from_stored():
    from services.ingest import formats

    sha1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
    answered = "http://adlnet.gov/expapi/verbs/answered"
    statements = [
        _statement(answered, actor={"objectType": "Agent", "mbox_sha1sum": sha1}),
        _statement(answered, actor={"mbox": "mailto:a@example.org"}),
        _statement(answered, actor={"openid": "https://id.example.org/u9"}),
        _statement(answered, timestamp=None, stored="2024-03-02T08:00:00Z"),
    ]
    chunk = formats.statements_chunk(statements)
    assert chunk.rejected == []
    assert chunk.frame["learner"].tolist() == [sha1, "mailto:a@example.org", "https://id.example.org/u9",
                                               "learner-1"]
    assert str(chunk.frame["time"].iloc[3]) == "2024-03-02 08:00:00"


def test_a_course_named_by_a_long_iri_is_stored_whole(app, tmp_path):
    from db.courses import Course
    from services.ingest import import_file

    statement = _in({"parent": [_typed(EDX_COURSE, "http://adlnet.gov/expapi/activities/course")]})
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([statement]))
    with app.app_context():
        report = import_file(path, fmt="xapi")
        assert report.reasons == {} and report.courses == [EDX_COURSE]
        assert Course.by_code(EDX_COURSE) is not None


def test_pages_show_a_long_course_code_shortened_and_whole_in_its_tooltip():
    from dashboard.components.shell import code_link

    link = code_link(EDX_COURSE, "/course")
    assert len(link.children) == 40 and link.children.startswith("https://courses") and "…" in link.children
    assert link.children.endswith("3T2016") and link.title == EDX_COURSE
    assert code_link("CS101", "/course").children == "CS101"


# --- the verb table ---------------------------------------------------------------------------------------

FORUM_REPLY = "http://id.tincanapi.com/activitytype/forum-reply"
VIDEO = "https://w3id.org/xapi/video/activity-type/video"
QUESTION = "http://adlnet.gov/expapi/activities/question"
DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"


def _verb(verb: str, object_type: str | None = None) -> dict:
    thing = {"id": "https://lms.example.org/activity/1"}
    if object_type:
        thing["definition"] = {"type": object_type}
    return _statement(verb, object=thing)


def test_platform_verbs_map_by_vocabulary_and_the_object_decides_generic_ones():
    from services.ingest import formats

    expected = [
        ("http://adlnet.gov/expapi/verbs/interacted", None, "access"),
        ("http://adlnet.gov/expapi/verbs/downloaded", None, "access"),
        ("http://adlnet.gov/expapi/verbs/attended", None, "access"),
        ("https://w3id.org/xapi/acrossx/verbs/evaluated", QUESTION, "problem"),
        ("http://activitystrea.ms/schema/1.0/submit", None, "problem"),
        ("http://activitystrea.ms/create", DISCUSSION, "discussion"),
        ("https://w3id.org/xapi/video/verbs/played", VIDEO, "video"),
        ("http://adlnet.gov/expapi/verbs/completed", VIDEO, "video"),
        ("http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/activities/attempt",
         "problem"),
        ("http://adlnet.gov/expapi/verbs/asked", None, "discussion"),
        ("https://w3id.org/xapi/acrossx/verbs/reported", None, "discussion"),
        ("https://w3id.org/xapi/openedx/verb/voted", None, "discussion"),
        ("https://w3id.org/xapi/acrossx/verbs/edited", FORUM_REPLY, "discussion"),
        ("https://w3id.org/xapi/acrossx/verbs/edited", "https://example.org/types/wiki-page", "wiki"),
        ("http://id.tincanapi.com/verb/viewed", "http://adlnet.gov/expapi/activities/module", "access"),
        ("http://adlnet.gov/expapi/verbs/terminated", None, "page_close"),
    ]
    chunk = formats.statements_chunk([_verb(verb, kind) for verb, kind, _ in expected])
    assert chunk.rejected == []
    assert chunk.frame["type"].tolist() == [kind for _, _, kind in expected]


def test_what_is_not_learner_activity_is_reported_as_such_not_as_unknown():
    from services.ingest import formats

    statements = [
        _verb("http://adlnet.gov/expapi/verbs/registered"),
        _verb("https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled"),
        _verb("https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login"),
        _verb("https://w3id.org/xapi/tla/verbs/achieved", "https://example.org/types/badge"),
        _verb("http://example.org/verbs/danced"),
    ]
    chunk = formats.statements_chunk(statements)
    assert [r.reason for r in chunk.rejected] == [
        "not learner activity: 'http://adlnet.gov/expapi/verbs/registered'",
        "not learner activity: 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled'",
        "not learner activity: 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login'",
        "not learner activity: 'https://w3id.org/xapi/tla/verbs/achieved'",
        "unknown event type 'http://example.org/verbs/danced'",
    ]


def test_the_setting_maps_a_verb_on_an_object_type_and_marks_what_is_not_activity(monkeypatch):
    from services.ingest import event_map, formats

    monkeypatch.setenv(event_map.SETTING, json.dumps(
        {"xapi": {"completed@course": "access", "http://adlnet.gov/expapi/verbs/launched": "none"}}))
    chunk = formats.statements_chunk([
        _verb("http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/activities/course"),
        _verb("http://adlnet.gov/expapi/verbs/launched"),
    ])
    assert chunk.frame["type"].tolist() == ["access"]
    assert [r.reason for r in chunk.rejected] == ["not learner activity: 'http://adlnet.gov/expapi/verbs/launched'"]


# --- statement ids, unique per store ------------------------------------------------------------------------

PLAYED = "https://w3id.org/xapi/video/verbs/played"
STATEMENT_ID = "6F1B7F3E-0000-4000-8000-0000000000AA"


def _import(tmp_path, name: str, statements: list) -> object:
    from services.ingest import import_file

    path = tmp_path / name
    path.write_text(json.dumps(statements))
    return import_file(path, fmt="xapi")


def _video_count() -> int:
    from db.courses import ActivityDay

    return sum(day.video for day in ActivityDay.select())


def test_a_statement_id_resent_with_other_content_is_refused_whatever_the_day(app, tmp_path):
    first = _statement(PLAYED, id=STATEMENT_ID, timestamp="2024-03-01T10:00:00Z")
    other_day = _statement(PLAYED, id=STATEMENT_ID.lower(), timestamp="2024-03-02T10:00:00Z")
    with app.app_context():
        assert _import(tmp_path, "a.json", [first]).rows_imported == 1
        new = _statement(PLAYED, timestamp="2024-03-02T11:00:00Z")
        report = _import(tmp_path, "b.json", [other_day, new])
        assert report.rows_imported == 1 and report.rejected == 1
        assert report.first_rejections[0].line == 1
        assert report.reasons == {"conflicting statement id": 1}
        assert _video_count() == 2


def test_an_identical_resend_is_accepted_and_counted_once(app, tmp_path):
    statement = _statement(PLAYED, id=STATEMENT_ID)
    with app.app_context():
        assert _import(tmp_path, "a.json", [statement]).rows_changed == 1
        again = _import(tmp_path, "b.json", [{**statement, "stored": "2024-03-05T00:00:00Z"}])
        assert again.rejected == 0 and again.rows_imported == 1 and again.rows_changed == 0
        assert _video_count() == 1


def test_one_file_reusing_an_id_for_other_content_keeps_the_first(app, tmp_path):
    statements = [_statement(PLAYED, id=STATEMENT_ID),
                  _statement(PLAYED, id=STATEMENT_ID, timestamp="2024-03-03T10:00:00Z")]
    with app.app_context():
        report = _import(tmp_path, "a.json", statements)
        assert report.rows_imported == 1 and [r.line for r in report.first_rejections] == [2]
        assert _video_count() == 1


def test_the_key_of_a_statement_without_id_does_not_depend_on_the_object_type():
    from services.ingest import formats

    typed = _verb("http://adlnet.gov/expapi/verbs/answered", QUESTION)
    plain = _verb("http://adlnet.gov/expapi/verbs/answered")
    keys = [formats.statements_chunk([one]).frame["key"].iloc[0] for one in (typed, plain)]
    assert keys[0] == keys[1]  # the same event as files imported before object types counted
