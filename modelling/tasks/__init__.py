"""Every prediction task, declared once (one module per task): what differs between tasks is data, not
branches.

Every layer reads these declarations; no other module compares task names (a test checks). Adding a
task is one more module with its `Task` (and, for a form task, its schema) listed here.

The *form tasks* (`TASKS`: exam score, dropout) have a form part: the pages, records, analytics,
batch scoring and the demo iterate `TASKS`/`TASK_NAMES`, so they list only these. The *course tasks*
(`COURSE_TASKS`: early warning) have a course part and are trained and served by their own module
(`modelling.early_warning`). `ALL_TASKS` holds both and `task_for` finds any task by name.
"""

from __future__ import annotations

from modelling.outcomes import CONFUSION_THRESHOLD, Outcome, Probability, Score
from modelling.schemas import TaskSchema
from modelling.tasks.dropout import DROPOUT
from modelling.tasks.early_warning import EARLY_WARNING
from modelling.tasks.exam import EXAM
from modelling.tasks.task import CoursePart, FormPart, Metric, PredictPage, Task

__all__ = [
    "ALL_TASKS",
    "ALL_TASK_NAMES",
    "CONFUSION_THRESHOLD",
    "COURSE_TASKS",
    "DROPOUT",
    "EARLY_WARNING",
    "EXAM",
    "SCHEMAS",
    "TASKS",
    "TASK_NAMES",
    "CoursePart",
    "FormPart",
    "Metric",
    "Outcome",
    "PredictPage",
    "Probability",
    "Score",
    "Task",
    "schema_for",
    "task_for",
    "task_options",
]

# The form tasks (a form, records, analytics, batch files): the pages and services iterate these.
TASKS: dict[str, Task] = {task.name: task for task in (EXAM, DROPOUT) if task.form is not None}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
# The course tasks: predicted from a course's daily activity at checkpoints, by their own services.
COURSE_TASKS: dict[str, Task] = {task.name: task for task in (EARLY_WARNING,) if task.course is not None}
ALL_TASKS: dict[str, Task] = {**TASKS, **COURSE_TASKS}
ALL_TASK_NAMES: tuple[str, ...] = tuple(ALL_TASKS)
# The input schema of each form task, by task name.
SCHEMAS: dict[str, TaskSchema] = {name: task.form.schema for name, task in TASKS.items() if task.form}


def task_options() -> list[dict[str, str]]:
    """The tasks as choices of a radio or dropdown."""
    return [{"label": task.short_label, "value": task.name} for task in TASKS.values()]


def task_for(name: str) -> Task:
    """The task called `name` (a form or a course task); KeyError naming the known tasks for any other."""
    if name not in ALL_TASKS:
        raise KeyError(f"Unknown task {name!r}; use one of {', '.join(ALL_TASK_NAMES)}.")
    return ALL_TASKS[name]


def schema_for(task: str) -> TaskSchema:
    """The input schema of the form task called `task`."""
    if task not in SCHEMAS:
        raise KeyError(f"Unknown task {task!r}; use one of {', '.join(SCHEMAS)}.")
    return SCHEMAS[task]
