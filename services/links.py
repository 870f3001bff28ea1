"""Addresses of the course pages: course codes may hold slashes and plus signs, so they go encoded in
the query string."""

from __future__ import annotations

from urllib.parse import urlencode


def course_href(code: str) -> str:
    """The Course page of `code`."""
    return f"/course?{urlencode({'code': code})}"


def course_outcomes_href(code: str) -> str:
    """The outcomes report of `code`."""
    return f"/course-outcomes?{urlencode({'code': code})}"


def course_settings_href(code: str | None = None) -> str:
    """The Course settings page (of `code` when given)."""
    return f"/course-settings?{urlencode({'code': code})}" if code else "/course-settings"


def enrollment_href(enrollment_id: int) -> str:
    """The Enrollment page of one enrollment."""
    return f"/enrollment?id={int(enrollment_id)}"
