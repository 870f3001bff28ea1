"""The frame around every page: navigation bar, "not allowed" and page headers."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from db.tables import User
from services.tutoring import notifications

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
    return offered_to(entry, user) and (
        access == "user" or (access == "staff" and user.is_staff) or user.is_admin
    )


def offered_to(entry: dict, user: User) -> bool:
    """Whether a page is offered to the user's role (the bar, Home's list): a page naming `nav_roles`
    (e.g. the student self-prediction pages) is offered to those roles only; it still opens by address."""
    roles = entry.get("nav_roles")
    return roles is None or user.role in roles


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
    links = [_link(e, pathname) for e in entries if e.get("access") != "admin" and not e.get("nav_slot")]
    admin_entries = [e for e in entries if e.get("access") == "admin"]
    own = next((e for e in entries if e.get("nav_slot") == "user"), None)
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
            _user_item(user, own, pathname),
            dbc.NavItem(dbc.Button("Sign out", id="shell-signout", color="light", size="sm", outline=True)),
        ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Student Success Analytics", href="/"),
                dbc.NavbarToggler(id="shell-toggler", n_clicks=0),
                dbc.Collapse(
                    [dbc.Nav(links, navbar=True, className="me-auto"),
                     dbc.Nav(right, navbar=True, className="align-items-xl-center")],
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


def _user_item(user: User, own: dict | None, pathname: str | None) -> dbc.NavItem:
    """Who is signed in; the link to their own page (the profile) when one takes that place."""
    name = user.full_name or user.username
    role = ROLE_LABELS.get(user.role, user.role)
    # Between 1200 and 1400 px the bar is side by side and tight: the name is shown, the role is in
    # the title (and shown on a wider screen, or in the collapsed menu below 1200 px).
    text = html.Span(
        [
            html.Span(name, className="fw-semibold"),
            html.Span(f" · {role}", className="d-xl-none d-xxl-inline"),
        ],
        id="shell-user",
        title=f"{name} · {role}",
    )
    if own is None:
        return dbc.NavItem(html.Span(text, className="navbar-text me-3"))
    link_id = f"shell-nav-{own['module'].split('.')[-1]}"
    return dbc.NavItem(
        dbc.NavLink(text, href=own["path"], active=pathname == own["path"], id=link_id, className="me-2")
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


CODE_SHOWN = 40  # a longer course code (an IRI) is shown cut in the middle, whole in its tooltip


def short_code(code: str, limit: int = CODE_SHOWN) -> str:
    """A course code as pages show it: cut in the middle when long (the whole one goes in a title)."""
    if len(code) <= limit:
        return code
    head = (limit - 1) // 2
    return f"{code[:head]}…{code[-(limit - 1 - head):]}"


def code_link(code: str, href: str, **extra) -> dcc.Link:
    """A link whose text is a course code, shortened when long, whole in its tooltip."""
    return dcc.Link(short_code(code), href=href, title=code, **extra)


def footer() -> html.Footer:
    """The line under every page: where to get help, and the documentation."""
    return html.Footer(
        dbc.Container(
            [
                dcc.Link("Contact", href="/contact", id="shell-contact", className="me-3"),
                dcc.Link("About", href="/about", id="shell-footer-about", className="me-3"),
                # The documentation site is served beside the app, not by Dash: a plain link.
                html.A("Documentation", href="/docs/", id="shell-footer-docs"),
            ],
            fluid="lg",
            className="py-3 small",
        ),
        className="border-top",
        id="shell-footer",
    )


def page_header(title: str, subtitle: str | None = None, tooltip: str | None = None) -> html.Div:
    """A page title with an optional line of explanation (and the whole title in `tooltip`)."""
    return html.Div(
        [html.H1(title, className="h2 mb-1", title=tooltip),
         html.P(subtitle, className="text-muted") if subtitle else None],
        className="mb-3",
    )
