"""The activity log reads as words: every recorded action has a label, no detail says "None"."""

from __future__ import annotations

import re
from pathlib import Path

from services.activity_text import ACTION_LABELS, action_label, describe

ROOT = Path(__file__).resolve().parents[1]


def _recorded_actions() -> set[str]:
    actions = set()
    for path in [*ROOT.glob("services/*.py"), *ROOT.glob("api/*.py"), *ROOT.glob("server/*.py")]:
        text = path.read_text()
        actions |= set(re.findall(r'Activity\.record\(\s*"([a-z_]+)"', text))
    return actions


def test_every_action_the_app_records_has_a_label():
    actions = _recorded_actions()
    assert {"predict", "records_export", "record_delete", "login"} <= actions
    assert actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)


def test_details_leave_out_what_was_not_given():
    text = describe({"task": None, "level": None, "record": 12, "saved": True})
    assert "None" not in text and text == "record: 12; saved: yes"
    assert action_label("records_export") == "Exported saved predictions"
    assert action_label("something_new") == "Something new"
