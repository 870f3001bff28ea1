"""The Data page's card for learners' contact details: upload a CSV, see what was stored and every
rejected line."""

from __future__ import annotations

import base64
import binascii

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.components.forms import alert
from services.errors import ServiceError
from services.ingest.resolve import CODE_MAX
from services.tutoring import contacts

PREFIX = "data-contacts"


def contacts_card() -> dbc.Card:
    """The card: the format, a drop zone, the course of rows without one, the result."""
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Learners' contact details", className="h5 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        [
                            "A CSV with ",
                            html.Code("learner_ref,email"),
                            " and optionally ",
                            html.Code("name"),
                            " and ",
                            html.Code("course_id"),
                            ". Only the course's tutors and administrators see them; nudges use them. "
                            "Optional columns ",
                            html.Code(", ".join(contacts.ATTRIBUTES)),
                            " are kept for the early-warning model's fairness report only.",
                        ],
                        className="text-muted",
                    ),
                    dcc.Upload(
                        id=f"{PREFIX}-upload",
                        children=html.Div(["Drag a file here or ", html.A("choose a file", href="#")]),
                        accept=".csv,text/csv",
                        className="border border-2 rounded p-3 text-center bg-light",
                    ),
                    html.Div(id=f"{PREFIX}-filename", className="small text-muted my-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Course code (rows without one)", html_for=f"{PREFIX}-course"),
                                    dbc.Input(id=f"{PREFIX}-course", maxLength=CODE_MAX),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                dbc.Button("Import the contacts", id=f"{PREFIX}-submit", color="primary"),
                                md=4,
                                className="mt-auto",
                            ),
                        ],
                        className="g-2 mb-2",
                    ),
                    dcc.Loading(html.Div(id=f"{PREFIX}-result")),
                ]
            ),
        ],
        className="mb-3",
        id=f"{PREFIX}-card",
    )


def _rejections(report: dict) -> html.Ul | None:
    if not report["first_rejections"]:
        return None
    return html.Ul([html.Li(f"Line {r['line']}: {r['reason']}") for r in report["first_rejections"]])


@callback(Output(f"{PREFIX}-filename", "children"), Input(f"{PREFIX}-upload", "filename"))
def show_filename(filename):
    return f"Chosen: {filename}" if filename else "No file chosen yet."


@callback(
    Output(f"{PREFIX}-result", "children"),
    Input(f"{PREFIX}-submit", "n_clicks"),
    State(f"{PREFIX}-upload", "contents"),
    State(f"{PREFIX}-upload", "filename"),
    State(f"{PREFIX}-course", "value"),
    prevent_initial_call=True,
)
def import_contacts(clicks, contents, filename, course):
    if not clicks:
        return no_update
    if not contents:
        return alert("Choose a file first.", "warning")
    try:
        text = contacts.read_text(base64.b64decode(contents.partition(",")[2], validate=True))
        report = contacts.import_contacts(text, file_name=filename or "contacts.csv", course=course or None)
    except (binascii.Error, ValueError):
        return alert(f"{filename} could not be read as an upload.")
    except ServiceError as exc:
        lines = html.Ul([html.Li(f"{name}: {reason}") for name, reason in exc.fields.items()])
        return alert([exc.message, lines])
    summary = (
        f"{report.stored:,} contacts stored from {report.lines_read:,} rows; {report.rejected:,} rejected."
    )
    return html.Div(
        [alert(summary, "success" if not report.rejected else "warning"), _rejections(report.to_dict())]
    )
