"""Caliper events written for these tests, in the shapes platforms document: Canvas Live Events (Caliper
1.1 envelopes, user and course as `urn:instructure:canvas:...` IRIs, the course as the `group`
CourseOffering, Canvas's extensions), Open edX event-routing-backends (Caliper 1.2, one envelope per
event, the anonymous user id as actor, the course in `object.extensions.course_id` or in the object's
URL), a Caliper 1.2 sensor using sections and memberships (as D2L and the spec's examples do), and
Caliper 1.0's IRI terms. Ids, names and values are made up here."""

from __future__ import annotations

import copy
from typing import Any

V1P1 = "http://purl.imsglobal.org/ctx/caliper/v1p1"
V1P2 = "http://purl.imsglobal.org/ctx/caliper/v1p2"
CANVAS_COURSE = "urn:instructure:canvas:course:10000000000042"
CANVAS_LEARNER = "urn:instructure:canvas:user:10000000000007"
EDX_COURSE = "course-v1:ExampleX+CAL101+2025_T1"
EDX_LEARNER = "9f0c1d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f"
OFFERING = "https://lms.example.edu/terms/2025-spring/courses/bio-210"
SPEC_LEARNER = "https://lms.example.edu/users/3141"


def _canvas_actor(user: str = CANVAS_LEARNER, **extra: str) -> dict:
    entity = user.rsplit(":", 1)[-1]
    return {"id": user, "type": "Person", "extensions": {"com.instructure.canvas": {
        "user_login": "learner7@example.edu", "root_account_id": "10000000000001", "entity_id": entity,
        **extra}}}


def _canvas_membership(role: str, user: str = CANVAS_LEARNER) -> dict:
    return {"id": f"{CANVAS_COURSE}:{role}:{user.rsplit(':', 1)[-1]}", "type": "Membership",
            "member": {"id": user, "type": "Person"},
            "organization": {"id": CANVAS_COURSE, "type": "CourseOffering"}, "roles": [role]}


def canvas(event_id: str, event_type: str, action: str, thing: dict, time: str, *, role: str = "Learner",
           actor: dict | None = None, group: bool = True) -> dict:
    """One Canvas Live Event in its Caliper 1.1 form, in its envelope."""
    event = {
        "@context": V1P1, "id": f"urn:uuid:{event_id}", "type": event_type,
        "actor": actor or _canvas_actor(), "action": action, "object": thing, "eventTime": time,
        "edApp": {"id": "https://canvas.example.edu/", "type": "SoftwareApplication"},
        "session": {"id": "urn:instructure:canvas:session:0a1b2c", "type": "Session"},
        "extensions": {"com.instructure.canvas": {"hostname": "canvas.example.edu", "version": "1.0.0"}},
    }
    if group:
        event["group"] = {"id": CANVAS_COURSE, "type": "CourseOffering", "extensions": {
            "com.instructure.canvas": {"context_type": "Course", "entity_id": "10000000000042"}}}
        event["membership"] = _canvas_membership(role)
    return {"sensor": "https://canvas.example.edu/", "sendTime": time, "dataVersion": V1P1, "data": [event]}


def _page(kind: str, number: int, name: str) -> dict:
    return {"id": f"urn:instructure:canvas:{kind}:1000000000{number:04d}", "type": name,
            "extensions": {"com.instructure.canvas": {"asset_type": kind, "http_method": "GET"}}}


# Canvas: a learner's page view, quiz submission, discussion reply and wiki edit (4 kept), then what is not
# a learner's activity: a login, an instructor's grading, Canvas acting on its own, a masquerade.
CANVAS = [
    canvas("c0000001-0000-4000-8000-000000000001", "NavigationEvent", "NavigatedTo",
           _page("assignment", 1, "AssignableDigitalResource"), "2025-02-03T09:00:00.000Z"),
    canvas("c0000001-0000-4000-8000-000000000002", "AssessmentEvent", "Submitted",
           {**_page("submission", 2, "Attempt"),
            "assignable": {"id": "urn:instructure:canvas:quiz:100", "type": "Assessment"}},
           "2025-02-03T09:20:00.000Z"),
    canvas("c0000001-0000-4000-8000-000000000003", "MessageEvent", "Posted",
           {**_page("discussionEntry", 3, "Message"),
            "isPartOf": {"id": "urn:instructure:canvas:discussion:5", "type": "Thread"}},
           "2025-02-04T12:00:00.000Z"),
    canvas("c0000001-0000-4000-8000-000000000004", "Event", "Modified", _page("wikiPage", 4, "Page"),
           "2025-02-05T08:30:00.000Z"),
    canvas("c0000001-0000-4000-8000-000000000005", "SessionEvent", "LoggedIn",
           {"id": "https://canvas.example.edu/", "type": "SoftwareApplication"}, "2025-02-03T08:59:00.000Z",
           group=False),
    canvas("c0000001-0000-4000-8000-000000000006", "GradeEvent", "Graded", _page("submission", 2, "Attempt"),
           "2025-02-06T10:00:00.000Z", role="Instructor",
           actor={"id": "urn:instructure:canvas:user:10000000000099", "type": "Person"}),
    canvas("c0000001-0000-4000-8000-000000000007", "NavigationEvent", "NavigatedTo",
           _page("attachment", 5, "Entity"), "2025-02-03T09:05:00.000Z",
           actor={"id": "https://canvas.example.edu/", "type": "SoftwareApplication"}),
    canvas("c0000001-0000-4000-8000-000000000008", "NavigationEvent", "NavigatedTo",
           _page("wikiPage", 4, "Page"), "2025-02-03T09:06:00.000Z",
           actor=_canvas_actor(real_user_id="10000000000099")),
]


def edx(event_id: str, event_type: str, action: str, thing: dict, time: str) -> dict:
    """One event of Open edX's event-routing-backends in its envelope (Caliper 1.2)."""
    event = {"@context": V1P2, "id": f"urn:uuid:{event_id}", "type": event_type, "action": action,
             "actor": {"id": EDX_LEARNER, "type": "Person"}, "object": thing, "eventTime": time,
             "extensions": {"eventVersion": "1.0"}}
    return {"sensor": "https://lms.example.org/caliper", "sendTime": time, "dataVersion": V1P2,
            "data": [event]}


_VIDEO = {"id": f"block-v1:{EDX_COURSE.split(':', 1)[1]}+type@video+block@intro", "type": "VideoObject",
          "duration": "PT4M10S", "extensions": {"course_id": EDX_COURSE}}

# Open edX: video loaded, played, paused; a problem submitted; a unit reached by the sequence's next
# button (the course only in the page's URL); an enrolment (not learner activity).
EDX = [
    edx("e0000001-0000-4000-8000-000000000001", "Event", "Retrieved", _VIDEO, "2025-02-03T10:00:00.000Z"),
    edx("e0000001-0000-4000-8000-000000000002", "MediaEvent", "Started", _VIDEO, "2025-02-03T10:00:05.000Z"),
    edx("e0000001-0000-4000-8000-000000000003", "MediaEvent", "Paused", _VIDEO, "2025-02-03T10:02:00.000Z"),
    edx("e0000001-0000-4000-8000-000000000004", "AssessmentEvent", "Submitted",
        {"id": f"block-v1:{EDX_COURSE.split(':', 1)[1]}+type@problem+block@q1", "type": "Assessment",
         "extensions": {"course_id": EDX_COURSE, "attempts": 1}}, "2025-02-03T10:10:00.000Z"),
    edx("e0000001-0000-4000-8000-000000000005", "NavigationEvent", "NavigatedTo",
        {"id": f"https://lms.example.org/courses/{EDX_COURSE}/jump_to/block-v1:"
               f"{EDX_COURSE.split(':', 1)[1]}+type@sequential+block@s2", "type": "WebPage"},
        "2025-02-03T10:12:00.000Z"),
    edx("e0000001-0000-4000-8000-000000000006", "Event", "Activated",
        {"id": f"https://lms.example.org/course/{EDX_COURSE}", "type": "Membership",
         "extensions": {"course_id": EDX_COURSE, "mode": "audit"}}, "2025-02-01T08:00:00.000Z"),
]

SECTION = "https://lms.example.edu/terms/2025-spring/courses/bio-210/sections/2"


def spec_event(number: int, event_type: str, action: str, thing: Any, **extra: Any) -> dict:
    """A Caliper 1.2 event as the spec writes them: a section of an offering as group, a membership."""
    return {"@context": V1P2, "id": f"urn:uuid:a0000001-0000-4000-8000-{number:012d}", "type": event_type,
            "actor": {"id": SPEC_LEARNER, "type": "Person"}, "action": action, "object": thing,
            "eventTime": f"2025-03-0{number % 9 + 1}T11:00:00.000Z",
            "group": {"id": SECTION, "type": "CourseSection", "courseNumber": "BIO-210",
                      "subOrganizationOf": {"id": OFFERING, "type": "CourseOffering",
                                            "courseNumber": "BIO-210"}},
            "membership": {"id": f"{SECTION}/rosters/1", "type": "Membership", "member": SPEC_LEARNER,
                           "organization": SECTION, "roles": ["Learner"], "status": "Active"},
            **extra}


def variant(event: dict, *path: str, value: Any = None, remove: bool = False) -> dict:
    """A copy of `event` with the field at `path` set to `value` (or removed)."""
    changed = copy.deepcopy(event)
    target = changed
    for step in path[:-1]:
        target = target[step]
    if remove:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed
