"""The xAPI verb table: which event type a verb counts as, as data (docs/platform-data.md gives the reasons).

A key is a verb's last IRI segment (`answered` for `http://adlnet.gov/expapi/verbs/answered`), or a verb
and the last segment of the object's `definition.type` joined by "@" (`edited@forum-reply`): the pair
wins over the verb alone, so a generic verb is typed by what it acts on. A value is one of the seven
event types, or NOT_ACTIVITY for what a platform records that is not a learner's activity (enrolment,
login, a badge, an administrator's edit): such statements are reported as "not learner activity: <verb>".
"""

from __future__ import annotations

NOT_ACTIVITY = "none"

# (vocabulary, {key: type}); the vocabularies are for the reader, the keys are what is matched.
VERB_TABLE: tuple[tuple[str, dict[str, str]], ...] = (
    ("ADL (http://adlnet.gov/expapi/verbs/), with cmi5's use of them", {
        "answered": "problem", "attempted": "problem", "passed": "problem", "failed": "problem",
        "scored": "problem", "mastered": "problem",
        "completed": "access", "completed@attempt": "problem", "completed@assessment": "problem",
        "completed@question": "problem", "completed@video": "video", "completed@course": NOT_ACTIVITY,
        "experienced": "access", "interacted": "access", "interacted@video": "video",
        "launched": "access", "initialized": "access", "initialized@video": "video",
        "progressed": "access", "attended": "access", "downloaded": "access", "resumed": "access",
        "asked": "discussion", "asked@question": "problem", "asked@solution": "problem",
        "asked@supplemental-info": "problem", "asked@cmi.interaction": "problem",
        "commented": "discussion", "shared": "discussion", "responded": "discussion",
        "suspended": "page_close", "terminated": "page_close", "terminated@video": "video",
        "exited": "page_close", "abandoned": "page_close",
        "registered": NOT_ACTIVITY, "imported": NOT_ACTIVITY, "preferred": NOT_ACTIVITY,
        "voided": NOT_ACTIVITY, "waived": NOT_ACTIVITY, "satisfied": NOT_ACTIVITY,
        "logged-in": NOT_ACTIVITY, "logged-out": NOT_ACTIVITY,
    }),
    ("xAPI video profile (https://w3id.org/xapi/video/verbs/)", {
        "played": "video", "paused": "video", "seeked": "video", "watched": "video",
    }),
    ("acrossx (https://w3id.org/xapi/acrossx/verbs/), as Open edX and Moodle send it", {
        "evaluated": "problem", "posted": "discussion", "reported": "discussion", "voted": "discussion",
        "unreported": "discussion", "searched": "navigate",
        "edited": "wiki", "edited@forum-reply": "discussion", "edited@forum-post": "discussion",
        "edited@discussion": "discussion", "edited@comment": "discussion", "edited@thread": "discussion",
        "edited@course": NOT_ACTIVITY, "edited@badge": NOT_ACTIVITY, "edited@calendar-event": NOT_ACTIVITY,
        "edited@calendar-subscription": NOT_ACTIVITY, "edited@course-completion-criteria": NOT_ACTIVITY,
        "deleted@discussion": "discussion", "deleted@forum-reply": "discussion",
        "deleted@comment": "discussion",
    }),
    ("activitystrea.ms (http://activitystrea.ms/ and http://activitystrea.ms/schema/1.0/)", {
        "access": "access", "start": "access", "close": "page_close",
        "submit": "problem", "send": "discussion", "like": "discussion", "share": "discussion",
        "create": "wiki", "update": "wiki",
        "create@discussion": "discussion", "create@forum-reply": "discussion", "create@comment": "discussion",
        "create@chat-message": "discussion",
        "join@meeting": "access", "leave@meeting": "page_close",
        "delete": NOT_ACTIVITY, "delete@comment": "discussion", "delete@forum-reply": "discussion",
        "join": NOT_ACTIVITY, "leave": NOT_ACTIVITY, "receive": NOT_ACTIVITY, "retract": NOT_ACTIVITY,
        "assign": NOT_ACTIVITY, "follow": NOT_ACTIVITY,
        **{f"create@{part}": NOT_ACTIVITY for part in (
            "course", "course-category", "section", "book", "chapter", "calendar-event",
            "calendar-subscription", "group", "cmi.interaction", "meeting")},
    }),
    ("tincan (http://id.tincanapi.com/verb/)", {
        "viewed": "access", "replied": "discussion", "voted-up": "discussion", "voted-down": "discussion",
        "tweeted": "discussion", "bookmarked": "access", "selected": "problem", "skipped": "navigate",
        "unregistered": NOT_ACTIVITY, "earned": NOT_ACTIVITY, "adjourned": NOT_ACTIVITY,
        "live": NOT_ACTIVITY, "secured": NOT_ACTIVITY, "unsecured": NOT_ACTIVITY,
    }),
    ("Moodle's other vocabularies (tla, dod-isd, edlm-lms)", {
        "navigated": "navigate", "toured": "navigate", "restarted": "access", "assessed": "problem",
        "achieved": NOT_ACTIVITY, "forfeited": NOT_ACTIVITY, "verified": NOT_ACTIVITY,
        "enrolled": NOT_ACTIVITY, "login": NOT_ACTIVITY, "logout": NOT_ACTIVITY, "locked": NOT_ACTIVITY,
        "unlocked": NOT_ACTIVITY, "subscribed": NOT_ACTIVITY, "unsubscribed": NOT_ACTIVITY,
        "uncompleted": NOT_ACTIVITY, "exceeded": NOT_ACTIVITY, "published": NOT_ACTIVITY,
        "deleted": NOT_ACTIVITY,
    }),
)

XAPI_VERBS: dict[str, str] = {key: kind for _, keys in VERB_TABLE for key, kind in keys.items()}
