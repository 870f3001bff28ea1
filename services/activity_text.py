"""The activity log in words: one label per action and per detail, for every page that shows it."""

from __future__ import annotations

from typing import Any

ACTION_LABELS = {
    "register": "Account created",
    "register_taken": "Registration refused: details already used",
    "login": "Signed in",
    "login_failed": "Failed sign-in",
    "logout": "Signed out",
    "profile_update": "Profile updated",
    "password_change": "Password changed",
    "password_change_failed": "Wrong current password",
    "user_update": "Changed a user",
    "account_changed_by_admin": "Account changed by an administrator",
    "predict": "Made a prediction",
    "batch_score": "Scored a CSV file",
    "record_delete": "Deleted a saved prediction",
    "records_export": "Exported saved predictions",
    "train": "Trained a model",
    "activate": "Changed the serving model",
    "api_key_create": "Created an API key",
    "api_key_revoke": "Revoked an API key",
    "course_update": "Changed a course's title or window",
    "course_delete": "Removed a course",
    "course_archive": "Archived a course",
    "sso_linked": "Linked an account to a sign-in provider",
    "lti_account_created": "Made an account at an LMS launch",
    "lti_platform_registered": "Registered an LMS platform (LTI)",
    "lti_platform_removed": "Removed an LMS platform (LTI)",
    "learner_erase": "Erased a learner's data",
}

DETAIL_LABELS = {
    "task": "task",
    "version": "model version",
    "record": "record",
    "level": "level",
    "saved": "saved",
    "target": "user",
    "by": "by",
    "role": "role",
    "is_active": "active",
    "rows": "rows",
    "scored": "scored",
    "fields": "fields",
    "algorithm": "algorithm",
    "code": "course",
    "courses": "courses",
    "may_create_courses": "may create courses",
    "may_push_finished": "may push into finished courses",
    "enrollments": "enrollments",
    "activity_days": "days of activity",
    "learner_hash": "learner (keyed hash)",
}


def action_label(action: str) -> str:
    """What an action means to a person (its code, spaced out, when it has no label yet)."""
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def describe(detail: dict[str, Any]) -> str:
    """An entry's details as short text; details that were not given are left out."""
    parts = [
        f"{DETAIL_LABELS.get(key, key.replace('_', ' '))}: {_value_text(value)}"
        for key, value in detail.items()
        if value is not None and value != ""
    ]
    return "; ".join(parts)
