"""The Open edX event table: which event type a tracking-log `event_type` counts as, as data
(docs/platform-data.md gives the reasons, group by group).

Two tables. `EDX_EVENTS` maps documented event names exactly (compared in lower case). `EDX_PATTERNS` is
tried, in order, for a name no exact entry knows: a name that is a path (a page view, whose event_type
is the URL's path) or a family of names (`edx.forum.*`). `{course}` in a pattern stands for a course id
in a path: `course-v1:Org+Course+Run` (`ccx-v1:...` for a custom course), or the legacy
`Org/Course/Run`. A value is one of the seven
event types, or NOT_ACTIVITY for what the log records that is not a learner's activity (staff pages,
Studio, pages outside a course, enrolment, the requests behind an event already logged by name): such
events are reported as "not learner activity: <name>", not stored.
"""

from __future__ import annotations

import re

from services.ingest.xapi_verbs import NOT_ACTIVITY

# A course id as it appears in a path (lower case, as names are compared).
COURSE_IN_PATH = r"(?:(?:course|ccx)-v1:[^/]+|(?!(?:course|ccx)-v1:)[^/]+/[^/]+/[^/]+)"
# Where a course id sits in a page's path or URL: after /courses/ (the LMS's course pages).
COURSE_PATH = re.compile(
    r"/courses/((?:course|ccx)-v1:[^/?#]+|(?!(?:course|ccx)-v1:)[^/?#]+/[^/?#]+/[^/?#]+)", re.IGNORECASE)

# (group, {event name: type}); the groups are for the reader, the names are what is matched.
EVENT_TABLE: tuple[tuple[str, dict[str, str]], ...] = (
    ("video player (legacy and edx.video.* names, browser and mobile)", {
        "play_video": "video", "pause_video": "video", "seek_video": "video", "stop_video": "video",
        "load_video": "video", "speed_change_video": "video", "show_transcript": "video",
        "hide_transcript": "video", "video_show_cc_menu": "video", "video_hide_cc_menu": "video",
        "complete_video": "video",
    }),
    ("problems and assessments", {
        "problem_check": "problem", "problem_check_fail": "problem", "problem_graded": "problem",
        "problem_save": "problem", "problem_show": "problem", "showanswer": "problem",
        "problem_reset": "problem", "reset_problem": "problem", "reset_problem_fail": "problem",
        "save_problem_fail": "problem", "save_problem_success": "problem",
        # staff acting on a learner's work: not the learner's activity
        "problem_rescore": NOT_ACTIVITY, "problem_rescore_fail": NOT_ACTIVITY,
        "openassessmentblock.get_submission_for_staff_grading": NOT_ACTIVITY,
        "openassessmentblock.staff_assess": NOT_ACTIVITY,
        "openassessmentblock.staff_grade": NOT_ACTIVITY,
    }),
    ("course navigation", {
        "seq_goto": "navigate", "seq_next": "navigate", "seq_prev": "navigate",
        "link_clicked": "navigate", "edx.ui.lms.link_clicked": "navigate",
        "edx.ui.lms.outline.selected": "navigate", "edx.ui.lms.jump_nav.selected": "navigate",
        "edx.course.home.resume_course.clicked": "navigate",
    }),
    ("reading: textbooks, bookmarks, course tools", {
        "book": "access", "edx.course.tool.accessed": "access",
    }),
    ("leaving a page", {"page_close": "page_close"}),
)

# (pattern, type, why); tried in order on names no exact entry knows, matched from the name's start.
PATTERN_TABLE: tuple[tuple[str, str, str], ...] = (
    (r"edx\.video\.", "video", "the video player's newer names (played, paused, transcript.shown, ...)"),
    (r"edx\.problem\.hint\.", "problem", "hints shown while answering a problem"),
    (r"openassessmentblock\.|openassessment\.", "problem", "open response assessments: submitting, "
     "peer and self assessment, uploads"),
    (r"edx\.drag_and_drop_v2\.|xblock\.poll\.|xblock\.survey\.", "problem",
     "problem-like XBlocks: drag and drop, polls, surveys"),
    (r"edx\.ui\.lms\.sequence\.", "navigate", "moving between units of a subsection"),
    (r"textbook\.", "access", "reading a PDF textbook (pages, zoom, search)"),
    (r"edx\.bookmark\.", "access", "bookmarking and opening bookmarked content"),
    (r"edx\.forum\.", "discussion", "posting, replying, voting, following in the course forum"),
    (r"edx\.course\.student_notes\.", "wiki", "writing notes on course content"),
    (r"edx\.course\.enrollment\.|edx\.certificate\.|edx\.grades\.|edx\.instructor\.|edx\.cohort\.|"
     r"edx\.course\.index\.|edx\.course_discovery\.|edx\.user\.|edx\.librarycontentblock\.",
     NOT_ACTIVITY, "enrolment, certificates, computed grades, staff tools, course publishing, the "
     "catalogue and account settings"),
    (r"/courses/{course}/(?:instructor|legacy_instructor_dash|submission_history|staff_grading|"
     r"instructor_dashboard)", NOT_ACTIVITY, "staff pages of a course"),
    (r"/courses/{course}/.*/(?:handler|handler_noauth)/|/courses/{course}/modx/", NOT_ACTIVITY,
     "the request behind an event already logged by name (problem_check, seq_goto, ...): counting it "
     "would count the action twice"),
    (r"/courses/{course}/discussion(?:/|$)", "discussion", "the course forum's pages"),
    (r"/courses/{course}/(?:course_)?wiki(?:/|$)|/wiki/", "wiki", "the course wiki"),
    (r"/courses/{course}(?:/|$)", "access", "the course's other pages: courseware, info, progress, "
     "textbooks"),
    (r"/", NOT_ACTIVITY, "pages outside a course: the dashboard, sign-in, static files, Studio"),
)

EDX_EVENTS: dict[str, str] = {name: kind for _, names in EVENT_TABLE for name, kind in names.items()}
# One alternation of every pattern, in order: a match's group names the first pattern that matches.
EDX_PATTERNS = re.compile("|".join(f"(?P<p{i}>{pattern.replace('{course}', COURSE_IN_PATH)})"
                                   for i, (pattern, _, _) in enumerate(PATTERN_TABLE)))
_PATTERN_TYPES = {f"p{i}": kind for i, (_, kind, _) in enumerate(PATTERN_TABLE)}


def pattern_type(name: str) -> str | None:
    """The type the first matching pattern gives a (lower-case) event name, or None."""
    found = EDX_PATTERNS.match(name)
    return _PATTERN_TYPES[found.lastgroup] if found else None


def course_in_path(text: str) -> str:
    """The course id in a page's path or URL (`/courses/<id>/...`), "" when there is none."""
    found = COURSE_PATH.search(text) if "/courses/" in text else None
    return found.group(1) if found else ""
