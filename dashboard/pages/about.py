"""About: what the models do and how well (read from the active versions), their limits, how to read a
prediction, why only randomisation tells whether contacting learners helps, and contact."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import current_app

from dashboard.access import page
from dashboard.components.figures import bands_legend
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from modelling.tasks import TASK_NAMES, schema_for, task_for
from services import model_versions, predictions

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

# What each cross-validated figure means, in the order shown; figures not listed are shown by name.
METRICS = {
    "mae": ("Mean absolute error", "points: the typical distance between predicted and real score"),
    "rmse": ("Root mean squared error", "points: like MAE, but large misses count more"),
    "r2": ("R²", "share of the differences between students the model explains (1 = all)"),
    "interval_coverage": ("90% interval coverage", "share of real scores inside the interval (aim: 0.90)"),
    "interval_width": ("Interval width", "points from the low to the high end of the 90% interval"),
    "roc_auc": (
        "ROC AUC",
        "chance a learner who dropped out is ranked above one who stayed (0.5 = guessing)",
    ),
    "brier": ("Brier score", "mean squared error of the probabilities (lower is better)"),
    "ece": ("Calibration error (ECE)", "how far predicted probabilities are from observed rates"),
    "log_loss": ("Log loss", "penalises confident wrong probabilities (lower is better)"),
}

INTRO = """
## What it predicts
**Exam score** (0 to 100) from 19 study and background factors: hours studied, attendance,
sleep, previous scores, tutoring, parental involvement, access to resources and others. The
result comes with a level band, a 90% prediction interval, and the factors that pushed the score
up or down.

**Dropout risk**: the probability that a learner stops taking part in an online course, from
14 counts of their activity over a 30-day window (pages visited, videos, problems, forum and
wiki use, active days). It is shown as a risk band.
"""

READING = """
## How to read a prediction
- **The number** describes students *like* the one entered, not a verdict on a person.
- **The interval** (exam score) is where the real score falls 9 times in 10 for similar students.
- **The bars** compare the entry with a typical student of the training data: each bar is how much
  that factor moved the prediction. They add up to the difference from the typical student
  (exam: in points; dropout: in log-odds, where positive means more risk).
- **Recommendations and what-if** come from the model: they show which realistic changes it
  expects to help most, not guarantees.
- **A warning on a field** means the value is allowed but outside what the model learned from;
  the prediction is less reliable there.

## Limits
- The models learn from historical data sets; they find patterns, not causes.
- Factors a student cannot change (gender, income, school type, parental education, learning
  disabilities) are never turned into recommendations.
- A few percent of real students score far from any prediction; use these figures to start a
  conversation, never to decide alone.
- The quality figures above were measured by cross-validation on the training data; data from
  another school or course may behave differently.
"""

CONTACTING = """
## Does contacting learners help?
Comparing learners a tutor contacted with learners they did not cannot tell. Tutors choose whom to
contact: perhaps the ones who still answer, or the ones in the worst trouble. Those learners would have
done better, or worse, without any contact, and the comparison shows that difference, not what the
contact did.

Randomisation removes the choice. With the holdout on (the setting `NUDGE_HOLDOUT_SHARE`), when a tutor
nudges learners, chance alone holds back a share of them: they get no email. The two groups are then
alike in everything except the email, so once the course's outcomes are known, the difference in their
dropout rates is what the email did, give or take chance. The outcomes report shows that difference
with a 95% interval, the range within which the real effect most likely lies, and says so plainly when
the groups are still too small to tell. Comparisons of personal contacts, which are not randomised,
are shown as observations only.
"""


def _metric_rows(metrics: dict) -> list[html.Tr]:
    names = [n for n in METRICS if n in metrics] + sorted(
        n for n in metrics if n not in METRICS and not n.endswith("_std") and not n.startswith("mae_rounded")
    )
    rows = []
    for name in names:
        label, meaning = METRICS.get(name, (name, ""))
        spread = metrics.get(f"{name}_std")
        value = f"{metrics[name]:.3f}" + (f" ± {spread:.3f}" if spread is not None else "")
        rows.append(
            html.Tr([html.Th(label, scope="row"), html.Td(value), html.Td(meaning, className="text-muted")])
        )
    return rows


def _model_section(task: str) -> dbc.Card:
    active = next((v for v in model_versions.versions(task) if v.is_active), None)
    key = task.replace("-", "")
    if active is None:
        body = [html.P("No version of this model is active yet, so there are no figures to show.")]
    else:
        schema = schema_for(task)
        candidates = ", ".join(c["name"].replace("_", " ") for c in active.candidates or [])
        body = [
            html.P(
                [
                    f"Version {active.version}: {active.algorithm.replace('_', ' ')}, trained on "
                    f"{active.rows:,} rows, active since {when(active.activated_at or active.created_at)}. ",
                    f"Compared with: {candidates}. " if candidates else "",
                    f"It reads {len(schema.fields)} fields; a student can act on {len(schema.actionable)}.",
                ]
            ),
            html.P("Cross-validated quality (mean ± standard deviation over folds):", className="mb-1"),
            dbc.Table(
                html.Tbody(_metric_rows(active.metrics or {})), size="sm", responsive=True, className="mb-2"
            ),
            html.P("Levels:", className="mb-1 small"),
            bands_legend(task, predictions.bands_for(task)),
        ]
    return dbc.Card(
        [dbc.CardHeader(html.H2(f"{task_for(task).label} model", className="h6 mb-0")), dbc.CardBody(body)],
        className="mb-3",
        id=f"about-model-{key}",
    )


@page("public", PATH)
def layout(user=None, **_query):
    contact = current_app.config["CONTACT_EMAIL"]
    return html.Div(
        [
            page_header(
                "About Student Success Analytics", "Predicting and explaining student outcomes, openly."
            ),
            dcc.Markdown(INTRO, id="about-text"),
            html.H2("How good the models are", className="h5 mt-3"),
            dbc.Row([dbc.Col(_model_section(task), xs=12, lg=6) for task in TASK_NAMES]),
            dcc.Markdown(READING, id="about-reading"),
            dcc.Markdown(CONTACTING, id="about-contacting"),
            html.H2("Contact", className="h5 mt-4"),
            html.P(
                ["Questions or corrections: ", html.A(contact, href=f"mailto:{contact}", id="about-contact")]
            ),
        ]
    )
