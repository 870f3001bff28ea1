"""The Moodle event table: which event type a Logs report's "Event name" counts as, as data.

Keys are Moodle's English event names (the "Event name" column of Report > Logs, compared without
case); docs/moodle-logs.md gives the reasons. A value is one of the seven event types, or NOT_ACTIVITY
for what Moodle logs that is not a learner's activity (sign-ins, subscriptions, a teacher's or an
administrator's work): those rows are reported as "not learner activity: <event name>".

STAFF_EVENTS are events only course staff cause (grading, editing the course, previewing a quiz):
every other event of a user who caused one in the same file is counted apart too, as
"<event name> by course staff", because the Logs report does not say who is a teacher. OTHER_USER_STAFF
are events that are a learner's own when they concern themselves and a teacher's when their "Affected
user" is someone else (a grade report viewed for another user). PATTERNS type names the table lacks by
a word they contain (plugins' video events), in order.
"""

from __future__ import annotations

NOT_ACTIVITY = "none"

# (what the events are, {event name: type}); the groups are for the reader, the names are matched.
EVENT_TABLE: tuple[tuple[str, dict[str, str]], ...] = (
    ("Course pages: opening the course or one of its activities or resources", {
        "course viewed": "access", "course module viewed": "access", "course summary viewed": "access",
        "course user report viewed": "access", "content page viewed": "access", "book viewed": "access",
        "chapter viewed": "access", "lesson started": "access", "lesson resumed": "access",
        "content page viewed in lesson": "access", "scorm launched": "access", "sco launched": "access",
        "glossary entry viewed": "access", "feedback viewed": "access", "grade user report viewed": "access",
        "grade overview report viewed": "access", "user graded": NOT_ACTIVITY,
        "h5p viewed": "access", "url viewed": "access", "resource viewed": "access",
    }),
    ("Finding one's way: lists, indexes, sections, searches, profiles", {
        "course module instance list viewed": "navigate", "course section viewed": "navigate",
        "user list viewed": "navigate", "user profile viewed": "navigate", "course searched": "navigate",
        "discussion search": "navigate", "forum searched": "navigate",
        "glossary entries searched": "navigate",
        "recent activity viewed": "navigate",
    }),
    ("Leaving: a lesson ended", {"lesson ended": "page_close", "lesson ended early": "page_close"}),
    ("Assessment: quizzes, assignments, lessons' questions, SCORM and H5P results", {
        "quiz attempt started": "problem", "quiz attempt viewed": "problem",
        "quiz attempt submitted": "problem", "quiz attempt summary viewed": "problem",
        "quiz attempt reviewed": "problem", "quiz attempt updated": "problem",
        "quiz attempt abandoned": "problem", "quiz attempt became overdue": "problem",
        "question answered": "problem", "question viewed": "problem",
        "submission created": "problem", "submission updated": "problem", "a file has been uploaded.":
        "problem", "an online text has been uploaded.": "problem", "a submission has been submitted.":
        "problem", "submission form viewed": "problem", "the status of the submission has been viewed.":
        "problem", "submission status viewed": "problem",
        "response submitted": "problem", "choice answer added": "problem", "choice answer updated": "problem",
        "survey response submitted": "problem", "sco answer submitted": "problem",
        "sco raw score submitted": "problem", "sco status submitted": "problem", "xapi statement received":
        "problem", "h5p activity attempt submitted": "problem", "question attempted": "problem",
        "workshop assessment evaluated": "problem", "submission assessed": "problem",
    }),
    ("Discussion: forums, chats, comments", {
        "discussion viewed": "discussion", "discussion created": "discussion", "post created": "discussion",
        "post updated": "discussion", "post deleted": "discussion", "discussion deleted": "discussion",
        "some content has been posted.": "discussion", "discussion moved": NOT_ACTIVITY,
        "message sent": "discussion", "comment created": "discussion", "comment deleted": "discussion",
        "chat message sent": "discussion", "chat sessions viewed": "discussion", "post viewed": "discussion",
        "discussion subscription created": NOT_ACTIVITY, "discussion subscription deleted": NOT_ACTIVITY,
        "subscription created": NOT_ACTIVITY, "subscription deleted": NOT_ACTIVITY,
        "read tracking enabled": NOT_ACTIVITY, "read tracking disabled": NOT_ACTIVITY,
        "post liked": "discussion", "post rated": "discussion",
    }),
    ("Writing together: wikis, glossaries, databases", {
        "wiki page viewed": "wiki", "wiki page created": "wiki", "wiki page updated": "wiki",
        "wiki page map viewed": "wiki", "wiki history viewed": "wiki", "wiki diff viewed": "wiki",
        "wiki page version viewed": "wiki", "wiki page comments viewed": "wiki",
        "glossary entry created": "wiki", "glossary entry updated": "wiki", "record created": "wiki",
        "record updated": "wiki", "entry created": "wiki", "entry updated": "wiki",
    }),
    ("Not learner activity: signing in and out, the site, notifications, enrolment", {
        "user logged in": NOT_ACTIVITY, "user logged out": NOT_ACTIVITY, "dashboard viewed": NOT_ACTIVITY,
        "user has logged in as another user": NOT_ACTIVITY, "user login failed": NOT_ACTIVITY,
        "user enrolled in course": NOT_ACTIVITY, "user unenrolled from course": NOT_ACTIVITY,
        "role assigned": NOT_ACTIVITY, "role unassigned": NOT_ACTIVITY, "notification sent": NOT_ACTIVITY,
        "notification viewed": NOT_ACTIVITY, "badge awarded": NOT_ACTIVITY,
        "badge listing viewed": NOT_ACTIVITY,
        "course completed": NOT_ACTIVITY, "course module completion updated": NOT_ACTIVITY,
        "course activity completion updated": NOT_ACTIVITY,
        "calendar event created": NOT_ACTIVITY, "user password updated": NOT_ACTIVITY,
        "user updated": NOT_ACTIVITY, "user created": NOT_ACTIVITY, "group member added": NOT_ACTIVITY,
        "config log created": NOT_ACTIVITY,
    }),
)

# Events only course staff cause: each is not learner activity, and marks its user as staff.
STAFF_EVENTS: frozenset[str] = frozenset({
    "grader report viewed", "grade report viewed", "grading table viewed", "grading form viewed",
    "submission graded", "all the submissions are being downloaded.", "feedback updated",
    "course module created", "course module updated", "course module deleted", "course updated",
    "course section created", "course section updated", "course section deleted", "course content deleted",
    "quiz edit page viewed", "quiz report viewed", "quiz attempt preview started", "quiz attempt regraded",
    "question created", "question updated", "question deleted", "question category created",
    "log report viewed", "live log report viewed", "activity report viewed", "outline report viewed",
    "participation report viewed", "course backup created", "course restored", "grade item updated",
    "grade item created", "grade deleted", "grade letter updated", "user enrolment updated",
    "enrol instance created", "enrol instance updated", "discussion pinned", "discussion unpinned",
    "group created", "group updated", "grouping created", "submission locked", "submission unlocked",
    "extension granted", "marker updated", "workflow state updated", "statement of submission viewed",
})
OTHER_USER_STAFF: frozenset[str] = frozenset({
    "grade user report viewed", "grade overview report viewed", "course user report viewed",
    "submission status viewed", "the status of the submission has been viewed.",
})
PATTERNS: tuple[tuple[str, str], ...] = (("video", "video"), ("wiki", "wiki"), ("forum", "discussion"))

MOODLE_EVENTS: dict[str, str] = {
    **{name: kind for _, names in EVENT_TABLE for name, kind in names.items()},
    **dict.fromkeys(STAFF_EVENTS, NOT_ACTIVITY),
}
