"""About: what the models do, their limits, how to read a prediction, contact."""

from __future__ import annotations

import dash
from dash import dcc, html
from flask import current_app

from dashboard.access import page
from dashboard.components.shell import page_header

PATH = "/about"
dash.register_page(
    __name__,
    path=PATH,
    title="About",
    name="About",
    access="public",
    nav=True,
    order=80,
    description="What the predictions mean and where they stop being reliable.",
)

TEXT = """
### What it predicts
**Exam score** (0 to 100) from 19 study and background factors: hours studied, attendance,
sleep, previous scores, tutoring, parental involvement, access to resources and others. The
result comes with a level band (Excellent, Very good, Average, Needs improvement, At risk), a
90% prediction interval, and the factors that pushed the score up or down.

**Dropout risk**: the probability that a learner stops taking part in an online course, from
14 counts of their activity over a 30-day window (pages visited, videos, problems, forum and
wiki use, active days). It is shown as Low, Medium or High risk.

### How to read a prediction
A prediction describes students *like* the one entered, not a verdict on a person. The interval
says where the real score falls 9 times in 10 for similar students. Recommendations come from the
model: they show which changes the model expects to help most, not guarantees.

### Limits
- The models learn from historical data sets; where your values fall outside the ranges they saw,
  the page says so and the prediction is less reliable.
- Factors a student cannot change (gender, income, school type, parental education, learning
  disabilities) are never turned into recommendations.
- A few percent of real students score far from any prediction; use these figures to start a
  conversation, never to decide alone.
"""


@page("public", PATH)
def layout(user=None, **_query):
    contact = current_app.config["CONTACT_EMAIL"]
    return html.Div(
        [
            page_header(
                "About Student Success Analytics", "Predicting and explaining student outcomes, openly."
            ),
            dcc.Markdown(TEXT, id="about-text"),
            html.H3("Contact", className="h5 mt-4"),
            html.P(["Questions or corrections: ", html.A(contact, href=f"mailto:{contact}")]),
        ]
    )
