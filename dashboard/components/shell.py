"""The frame around every page: navigation bar, "not allowed" and page headers."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from db.models import User
from services import notifications

ROLE_LABELS = {"student": "Student", "tutor": "Tutor", "admin": "Administrator"}
ROLE_NAMES = {"student": "a student", "tutor": "a tutor", "admin": "an administrator"}  # in a sentence


def _visible(entry: dict, user: User | None) -> bool:
    access = entry.get("access", "user")
    if not entry.get("nav"):
        return False
    if access == "public":
        return entry.get("nav") != "guest" or user is None
    if user is None:
        return False
    return access == "user" or (access == "staff" and user.is_staff) or user.is_admin


def _link(entry: dict, pathname: str | None, item: bool = False):
    """A navigation link to a registered page (a menu item inside the Admin menu)."""
    link_id = f"shell-nav-{entry['module'].split('.')[-1]}"
    active = pathname == entry["path"]
    if item:
        return dbc.DropdownMenuItem(entry["name"], href=entry["path"], active=active, id=link_id)
    return dbc.NavItem(dbc.NavLink(entry["name"], href=entry["path"], active=active, id=link_id))


def navbar(user: User | None, pathname: str | None) -> dbc.Navbar:
    """Links to every page the user may open (the administrators' pages in one Admin menu, so the
    bar fits on one line), and sign in/out."""
    entries = sorted(
        (e for e in dash.page_registry.values() if _visible(e, user)),
        key=lambda e: e.get("order", 100),
    )
    links = [_link(e, pathname) for e in entries if e.get("access") != "admin"]
    admin_entries = [e for e in entries if e.get("access") == "admin"]
    if admin_entries:
        links.append(
            dbc.DropdownMenu(
                [_link(e, pathname, item=True) for e in admin_entries],
                label="Admin",
                nav=True,
                in_navbar=True,
                id="shell-nav-admin",
                toggleClassName="active" if any(pathname == e["path"] for e in admin_entries) else None,
            )
        )
    if user is None:
        right = []
    else:
        right = [
            bell(user),
            dbc.NavItem(
                html.Span(
                    [
                        html.Span(user.full_name or user.username, className="fw-semibold"),
                        " · ",
                        ROLE_LABELS.get(user.role, user.role),
                    ],
                    className="navbar-text me-3",
                    id="shell-user",
                )
            ),
            dbc.NavItem(dbc.Button("Sign out", id="shell-signout", color="light", size="sm", outline=True)),
        ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Student Success Analytics", href="/"),
                dbc.NavbarToggler(id="shell-toggler", n_clicks=0),
                dbc.Collapse(
                    [dbc.Nav(links, navbar=True, className="me-auto"), dbc.Nav(right, navbar=True)],
                    id="shell-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand="xl",
        className="mb-4",
    )


def bell(user: User) -> dbc.NavItem:
    """The bell: a link to the notifications page with the number of unread ones (none shown at 0)."""
    count = notifications.unread_count(user)
    label = f"{count} unread notification{'s' if count != 1 else ''}" if count else "Notifications"
    badge = dbc.Badge(str(count), color="danger", pill=True, className="ms-1", id="shell-bell-count")
    return dbc.NavItem(
        dbc.NavLink(
            [
                # A local image: the bell glyph needs a font a machine may lack, and no icon CDN is used.
                html.Img(src="/assets/bell.svg", alt="", title=label, width=18, height=18),
                html.Span(label, className="visually-hidden"),
                badge if count else None,
            ],
            href="/notifications",
            id="shell-bell",
            className="me-2",
        )
    )


def not_allowed() -> html.Div:
    """What a user sees on a page their role may not open."""
    return dbc.Alert(
        [
            html.H1("Not allowed", className="h4 alert-heading"),
            html.P("Your account cannot open this page."),
            dbc.Button("Back to home", href="/", color="secondary", className="me-2"),
            dbc.Button(
                "Contact support", href="/contact", color="dark", outline=True, id="shell-not-allowed-contact"
            ),
        ],
        color="danger",
        id="shell-not-allowed",
    )


def footer() -> html.Footer:
    """The line under every page: where to get help."""
    return html.Footer(
        dbc.Container(
            [
                dcc.Link("Contact", href="/contact", id="shell-contact", className="me-3"),
                dcc.Link("About", href="/about", id="shell-footer-about"),
            ],
            fluid="lg",
            className="py-3 small",
        ),
        className="border-top",
        id="shell-footer",
    )


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    """A page title with an optional line of explanation."""
    return html.Div(
        [html.H1(title, className="h2 mb-1"), html.P(subtitle, className="text-muted") if subtitle else None],
        className="mb-3",
    )
