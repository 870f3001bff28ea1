"""After sign-in the app only ever returns to one of its own paths."""

from __future__ import annotations

import pytest

# Each of these is read by some browser as a link to another host (or a script).
BYPASSES = [
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%5Cevil.example".replace("%5C", "\\"),
    "",
    None,
]


@pytest.fixture
def safe_next(app):
    """The check itself (imported once the app is built: the dashboard imports the server)."""
    from server.security import safe_next

    return safe_next


@pytest.mark.parametrize("target", BYPASSES)
def test_targets_a_browser_could_read_as_another_origin_go_home(safe_next, target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/profile", "/records?task=dropout", "/trends#top"])
def test_paths_of_this_app_are_kept(safe_next, target):
    assert safe_next(target) == target
