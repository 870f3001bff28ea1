"""Predict pages, one per form task, registered from the task's own words: its fields checked as they
are typed; the value explained; what would help; what-if; save."""

from __future__ import annotations

from typing import Any

import dash

from dashboard.access import page
from dashboard.components import prediction_callbacks
from dashboard.components import prediction_form as pf
from dashboard.components.shell import page_header
from modelling.tasks import TASKS, Task
from services import model_versions, trends

PACKAGE = __name__.rpartition(".")[0]


def _layout(task: Task) -> Any:
    """The layout of `task`'s predict page (it only renders for a signed-in user)."""
    form = task.form
    title = f"Predict {task.label.lower()}"

    @page("user", task.path)
    def layout(user, **_query):
        saved = trends.latest_record(user, task.name)
        values = pf.initial_values(task.name, saved.inputs if saved else None)
        return pf.prediction_layout(
            f"predict-{form.page.slug}",
            form.schema,
            values,
            header=page_header(title, form.page.intro),
            model_ready=any(v.is_active for v in model_versions.versions(task.name)),
            from_saved=saved is not None,
        )

    return layout


def register(task: Task) -> None:
    """Register `task`'s predict page and its callbacks."""
    form = task.form
    dash.register_page(
        f"{PACKAGE}.predict_{form.page.slug}",  # the page's nav link and component ids follow this name
        path=task.path,
        title=f"Predict {task.label.lower()}",
        name=task.label,
        access="user",
        nav=True,
        nav_roles=("student", "admin"),  # a self-prediction page: not in a tutor's bar
        order=form.page.order,
        description=form.page.description,
        layout=_layout(task),
    )
    prediction_callbacks.register(f"predict-{form.page.slug}", form.schema)


for _task in TASKS.values():
    register(_task)
