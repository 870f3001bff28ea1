"""An Open edX tracking log written for these tests (not copied from any real log): one learner's session
in a course, as the LMS logs it, with the shapes the platform writes it in (raw JSON lines, Tutor's
logging prefix, syslog's, gzip-rotated, a JSON array)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

COURSE = "course-v1:DemoOrg+DO101+2023_T1"
LEGACY = "DemoOrg/DO102/2013_Fall"
TIME = "2023-05-23T13:{minute:02d}:{second:02d}.{micro:06d}+00:00"


def event(event_type: str, *, source: str = "server", username: str = "ada", course: str | None = COURSE,
          page: str | None = None, second: int = 0, payload=None, **extra) -> dict:
    """One tracking-log event as the LMS writes it."""
    minute, second = divmod(second, 60)
    record = {
        "name": event_type, "username": username, "event_source": source, "event_type": event_type,
        "time": TIME.format(minute=minute, second=second, micro=461_000 + second), "ip": "10.0.0.7",
        "agent": "Mozilla/5.0 (X11; Linux x86_64)", "host": "lms.demo.test", "referer": "",
        "accept_language": "en", "page": page, "session": "0b3c",
        "event": payload if payload is not None else {"POST": {}, "GET": {}},
        "context": {"course_id": course or "", "org_id": "DemoOrg", "user_id": 7, "path": "/event"},
    }
    record.update(extra)
    return record


def _pages(course: str) -> str:
    return f"https://lms.demo.test/courses/{course}/courseware/week_1/intro/"


def session() -> list[dict]:
    """A learner's session: one of each kind of event the table maps, and what it does not count."""
    browser = {"source": "browser", "page": _pages(COURSE)}
    video = json.dumps({"id": "block-v1:DemoOrg+DO101+2023_T1+type@video+block@v1", "currentTime": 4})
    steps = [
        (f"/courses/{COURSE}/courseware/week_1/intro/", {}),                    # access
        ("play_video", {**browser, "payload": video}),                          # video
        ("pause_video", {**browser, "payload": video}),                         # video
        ("show_transcript", {**browser, "payload": video}),                     # video
        ("problem_check", {**browser, "payload": "input_p1_2_1=choice_2"}),     # problem
        ("problem_check", {}),                                                  # problem (server)
        (f"/courses/{COURSE}/xblock/block-v1:DemoOrg+DO101+2023_T1+type@problem+block@p1/handler/"
         "xmodule_handler/problem_check", {}),                                  # the request behind it
        ("edx.problem.hint.demandhint_displayed", {**browser}),                 # problem
        ("openassessmentblock.create_submission", {}),                          # problem
        ("edx.ui.lms.sequence.next_selected", {**browser}),                     # navigate
        ("seq_goto", {**browser}),                                              # navigate
        ("edx.ui.lms.link_clicked", {**browser}),                               # navigate
        ("book", {**browser}),                                                  # access
        ("edx.forum.thread.created", {}),                                       # discussion
        (f"/courses/{COURSE}/discussion/forum/general/threads/t1", {}),         # discussion
        (f"/courses/{COURSE}/wiki/DemoOrg.DO101/", {}),                         # wiki
        ("page_close", {**browser}),                                            # page_close
        ("edx.video.closed_captions.shown", {"source": "mobile"}),              # video (the app)
        ("edx.grades.problem.submitted", {"source": "task"}),                   # not counted
        (f"/courses/{COURSE}/instructor/api/list_course_role_members", {}),     # staff page
        ("/dashboard", {"course": None}),                                       # outside a course
        ("/settings/details/" + COURSE, {"course": None}),                      # Studio
        ("edx.course.enrollment.activated", {}),                                # enrolment
    ]
    return [event(name, second=i, **options) for i, (name, options) in enumerate(steps)]


# What the session counts as, per type (the handler request, staff, Studio, dashboard, grades and
# enrolment events are not learner activity).
SESSION_TYPES = {"access": 2, "video": 4, "problem": 4, "navigate": 3, "discussion": 2, "wiki": 1,
                 "page_close": 1}
SESSION_NOT_ACTIVITY = 6


def tutor_line(record: dict) -> str:
    """The event as Tutor's LMS logs it, behind Python logging's prefix."""
    prefix = "2023-05-23 13:53:13,461 INFO 20 [tracking] [user 7] [ip 10.0.0.7] logger.py:41 - "
    return prefix + json.dumps(record) + "\n"


def syslog_line(record: dict) -> str:
    """The event as an rsyslog-forwarded deployment logs it."""
    prefix = "May 23 13:53:13 lms-1 [service_variant=lms][tracking][env:demo] INFO [lms-1 12] - "
    return prefix + json.dumps(record) + "\n"


def bracketed_line(record: dict) -> str:
    """The event behind a logging prefix that starts with a bracket (a common logging format)."""
    return "[2023-05-23 13:53:13,461] INFO [tracking] logger.py:41 - " + json.dumps(record) + "\n"


def raw_lines(records: list[dict]) -> str:
    """The events as JSON lines."""
    return "".join(json.dumps(record) + "\n" for record in records)


SHAPES = {
    "raw": ("tracking.log", raw_lines, False),
    "tutor": ("tracking.log", lambda records: "".join(map(tutor_line, records)), False),
    "syslog": ("tracking.log", lambda records: "".join(map(syslog_line, records)), False),
    "bracketed": ("tracking.log", lambda records: "".join(map(bracketed_line, records)), False),
    "rotated": ("tracking.log-20230523.gz", raw_lines, True),
    "tutor-rotated": ("tracking.log-20230524.gz", lambda records: "".join(map(tutor_line, records)), True),
    "array": ("events.json", lambda records: json.dumps(records, indent=1), False),
}


def write(folder: Path, shape: str, records: list[dict]) -> Path:
    """The records as a file of the given shape."""
    name, render, compressed = SHAPES[shape]
    path = folder / name
    text = render(records)
    if compressed:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
