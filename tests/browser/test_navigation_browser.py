"""The navigation bar as each role sees it (headless Chromium against the live server): at 1280 px every
item sits on one line for an administrator, a tutor and a student; a tutor's bar has their tools and
none of the student self-prediction pages; at a phone's 390 px it collapses behind the toggler and
opens as a one-column list."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

browser = pytest.mark.browser
STUDENT_TOOLS = {"Exam score", "Dropout risk", "My trends", "Records"}

# Every visible item of the bar: its text, top, height and right edge (links, menus, bell, user, button).
ITEMS = """
const items = Array.from(document.querySelectorAll(
  '#shell-navbar .navbar-brand, #shell-navbar .navbar-nav > .nav-item, #shell-navbar .navbar-nav > .dropdown'
)).filter(e => e.offsetParent !== null);
return items.map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.innerText.trim(), top: r.top, bottom: r.bottom, height: r.height, right: r.right};
});
"""
LINK_HEIGHT = """
const link = document.querySelector('#shell-nav-home');
return link ? link.getBoundingClientRect().height : 0;
"""


def _viewport(page, width: int, height: int = 900) -> None:
    """Lay the page out at `width` CSS pixels, as a screen that wide shows it."""
    page.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _sign_in_as(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    page.wait_for_text("#shell-user", account.username.capitalize()[:3])


def _nav_links(page) -> set[str]:
    return set(
        page.driver.execute_script(
            "return Array.from(document.querySelectorAll("
            "'#shell-navbar a.nav-link, #shell-navbar .dropdown-item'))"
            ".map(a => a.textContent.trim()).filter(t => t)"
        )
    )


def _one_line(page) -> tuple[bool, list[dict]]:
    """Whether every item of the bar sits on one line: a shared band no taller than one link, and
    no item taller than one link (a two-line label is)."""
    items = page.driver.execute_script(ITEMS)
    line = page.driver.execute_script(LINK_HEIGHT)
    if not items or not line:
        return False, items
    band = max(item["bottom"] for item in items) - min(item["top"] for item in items)
    return band <= line + 2 and all(item["height"] <= line + 2 for item in items), items


@browser
@pytest.mark.parametrize("role", ["admin", "tutor", "student"])
def test_the_bar_is_one_line_at_1280_px_for_every_role(page, make_user, role):
    account = make_user(role, f"{role}-with-a-rather-long-name")
    _viewport(page, 1280)
    _sign_in_as(page, account)
    assert page.driver.execute_script("return window.innerWidth") == 1280
    fits, items = page.until(lambda: (_one_line(page)[0], _one_line(page)[1]), "no bar")
    assert fits, items
    assert max(item["right"] for item in items) <= 1280, items
    fits = "return document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    assert page.driver.execute_script(fits), "the bar makes the page scroll sideways"
    page.screenshot(f"navigation-1280-{role}")
    links = _nav_links(page)
    if role == "tutor":
        assert {"Home", "Courses", "At risk"} <= links and not links & STUDENT_TOOLS, links
        assert page.driver.find_elements("css selector", "#shell-bell")  # Notifications
    elif role == "student":
        assert {"Exam score", "Dropout risk", "My trends"} <= links and "Courses" not in links
    else:
        assert {"Courses", "Users", "Models"} <= links


@browser
def test_at_1280_px_a_name_of_usual_length_is_shown_whole(page, make_user):
    account = make_user("admin", "demo-administrator")  # shown as "Demo-Administrator"
    _viewport(page, 1280)
    _sign_in_as(page, account)
    page.wait_for_text("#shell-user", "Demo-Administrator")
    clipped = "const e = document.querySelector('#shell-user'); return e.scrollWidth > e.clientWidth"
    assert not page.driver.execute_script(clipped), page.text("#shell-user")
    assert page.driver.find_element("css selector", "#shell-user").get_attribute("title") == (
        "Demo-Administrator · Administrator")
    assert _one_line(page)[0]


@browser
def test_a_tutors_home_offers_their_tools_only(page, make_user):
    tutor = make_user("tutor")
    _sign_in_as(page, tutor)
    offered = page.wait_for_text("#home-pages", "Courses")
    assert not any(tool in offered for tool in STUDENT_TOOLS), offered


@browser
@pytest.mark.parametrize("role", ["admin", "tutor", "student"])
def test_at_390_px_the_bar_collapses_and_opens_as_one_column(page, make_user, role):
    account = make_user(role)
    _viewport(page, 390, 844)
    _sign_in_as_phone(page, account)
    assert not page.driver.find_element("css selector", "#shell-nav-home").is_displayed()
    page.click("#shell-toggler")
    home = "#shell-nav-home"
    page.until(lambda: page.driver.find_element("css selector", home).is_displayed(), "the menu stays shut")
    page.until(lambda: _settled(page), "the menu is still opening")
    items = page.driver.execute_script(ITEMS)
    line = page.driver.execute_script(LINK_HEIGHT)
    links = [item for item in items if item["text"] and item["height"] > 0][1:]  # after the brand
    assert all(item["height"] <= line + 2 for item in links if "Sign out" not in item["text"]), items
    tops = [item["top"] for item in links]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), items  # one below the other
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    page.screenshot(f"navigation-390-{role}")


def _sign_in_as_phone(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    page.wait_for_text("#_pages_content", "Welcome")


def _settled(page) -> bool:
    """The collapse finished opening (Bootstrap animates its height)."""
    return page.driver.execute_script(
        "const c = document.getElementById('shell-collapse');"
        "return c.classList.contains('show') && !c.classList.contains('collapsing');"
    )
