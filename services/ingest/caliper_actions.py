"""The Caliper action table: which event type a Caliper event counts as, as data (docs/caliper.md gives
the reasons).

A key is the event's `type` and `action` joined by "." (`MediaEvent.Paused`), or that pair and the
object's `type` joined by "@" (`NavigationEvent.NavigatedTo@WebPage`): the triple wins over the pair, so
that a generic action is typed by what it acts on. Terms are compared without case; Caliper 1.0's IRIs
(`http://purl.imsglobal.org/vocab/caliper/v1/action#Paused`) are read by their last segment. A value is
one of the seven event types, or NOT_ACTIVITY for what a platform records that is not a learner's
activity (signing in, grading, enrolment, course building): such events are reported as "not learner
activity: <type.action>".
"""

from __future__ import annotations

from services.ingest.xapi_verbs import NOT_ACTIVITY

MEDIA_ACTIONS = (
    "Started", "Ended", "Paused", "Resumed", "Restarted", "ForwardedTo", "JumpedTo", "Rewound",
    "ChangedResolution", "ChangedSize", "ChangedSpeed", "ChangedVolume", "EnabledClosedCaptioning",
    "DisabledClosedCaptioning", "EnteredFullScreen", "ExitedFullScreen", "Muted", "Unmuted",
    "OpenedPopout", "ClosedPopout",
)


def _all(event_type: str, actions: tuple[str, ...], kind: str) -> dict[str, str]:
    return {f"{event_type}.{action}": kind for action in actions}


# (what the group is, {key: type}); the groups are for the reader, the keys are what is matched.
ACTION_TABLE: tuple[tuple[str, dict[str, str]], ...] = (
    ("Reaching content: pages, resources, tools (Canvas asset_accessed, Open edX navigation)", {
        "NavigationEvent.NavigatedTo": "access",
        "NavigationEvent.NavigatedTo@WebPage": "navigate",
        "ViewEvent.Viewed": "access",
        **_all("ReadingEvent", ("NavigatedTo", "Viewed", "Searched"), "access"),
        "ToolUseEvent.Used": "access",
        "ToolLaunchEvent.Launched": "access",
        "ToolLaunchEvent.Returned": "page_close",
        **_all("ResourceManagementEvent", ("Downloaded", "Printed", "Retrieved"), "access"),
        **_all("AnnotationEvent", ("Bookmarked", "Highlighted", "Tagged"), "access"),
        "AssignableEvent.Reviewed": "access",
        **_all("QuestionnaireEvent", ("Started", "Submitted"), "access"),
        **_all("QuestionnaireItemEvent", ("Started", "Skipped", "Completed"), "access"),
        "SearchEvent.Searched": "navigate",
    }),
    ("Media (Open edX videos, any player)", {
        **_all("MediaEvent", MEDIA_ACTIONS, "video"),
        "Event.Retrieved@VideoObject": "video",
        "Event.Retrieved@AudioObject": "video",
    }),
    ("Assessment: quizzes, problems, assignments", {
        **_all("AssessmentEvent", ("Started", "Paused", "Resumed", "Restarted", "Reset", "Submitted"),
               "problem"),
        **_all("AssessmentItemEvent", ("Started", "Skipped", "Completed"), "problem"),
        **_all("AssignableEvent", ("Started", "Completed", "Submitted"), "problem"),
    }),
    ("Discussion: forums, threads, messages, comments", {
        **_all("MessageEvent", ("Posted", "MarkedAsRead", "MarkedAsUnread"), "discussion"),
        **_all("ThreadEvent", ("Created", "Modified", "MarkedAsRead", "MarkedAsUnread"), "discussion"),
        **_all("ForumEvent", ("Subscribed", "Unsubscribed"), "discussion"),
        "AnnotationEvent.Shared": "discussion",
        "AnnotationEvent.Commented": "discussion",
        **_all("FeedbackEvent", ("Commented", "Ranked"), "discussion"),
        "Event.Created@Message": "discussion",
        "Event.Modified@Message": "discussion",
        "Event.Deleted@Message": "discussion",
    }),
    ("Wiki: pages learners write (Canvas wiki_page_created, _updated, _deleted)", {
        "Event.Created@Page": "wiki",
        "Event.Modified@Page": "wiki",
        "Event.Deleted@Page": "wiki",
    }),
    ("Not learner activity", {
        **_all("SessionEvent", ("LoggedIn", "LoggedOut", "TimedOut"), NOT_ACTIVITY),
        "GradeEvent.Graded": NOT_ACTIVITY,
        "OutcomeEvent.Graded": NOT_ACTIVITY,
        **_all("Event", ("Activated", "Deactivated", "Completed", "Created", "Modified", "Deleted"),
               NOT_ACTIVITY),
        **_all("AssignableEvent", ("Activated", "Deactivated", "Created", "Modified", "Deleted", "Hid",
                                   "Showed"), NOT_ACTIVITY),
        **_all("AssessmentEvent", ("Created", "Modified", "Deleted"), NOT_ACTIVITY),
        **_all("ResourceManagementEvent", ("Archived", "Copied", "Created", "Deleted", "Described",
                                           "Modified", "Published", "Restored", "Saved", "Unpublished",
                                           "Uploaded"), NOT_ACTIVITY),
        **_all("SurveyEvent", ("OptedIn", "OptedOut"), NOT_ACTIVITY),
        **_all("SurveyInvitationEvent", ("Accepted", "Declined", "Sent"), NOT_ACTIVITY),
    }),
)

# Keys as the event map compares them (lower case).
CALIPER_ACTIONS: dict[str, str] = {
    key.lower(): kind for _, keys in ACTION_TABLE for key, kind in keys.items()
}
