"""Model versions: `make-data`, `train`, `ensure-models`, `activate`, `models`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from tqdm import tqdm

from db.tables import ModelVersion
from modelling.data import DEFAULT_SEED, load_bundled, load_labelled, make_bundled_data
from modelling.tasks import ALL_TASK_NAMES, COURSE_TASKS, TASK_NAMES
from server.cli.errors import call, refusals
from server.cli.errors import fail as _fail
from services import model_versions
from services.early_warning import training as course_training
from services.early_warning import versions as course_versions
from services.errors import ServiceError

ALL_TASKS = click.Choice(ALL_TASK_NAMES)


@click.command("make-data")
@click.option(
    "--seed", default=DEFAULT_SEED, show_default=True, help="Generator seed (same seed, same files)."
)
@with_appcontext
def make_data(seed: int) -> None:
    """Write the bundled training sets into data/ with the project's synthetic generator."""
    for task, path in make_bundled_data(seed=seed).items():
        click.echo(f"{task}: {path}")


def _print_versions(rows: list) -> None:
    for row in rows:
        mark = "*" if row.is_active else " "
        figures = FIGURES[row.task](row)
        click.echo(
            f"{mark} {row.task:<13} v{row.version:<3} {row.algorithm:<20} {row.rows:>7} rows  {figures}"
        )


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _form_figures(row: ModelVersion) -> str:
    """A form task's version: its cross-validated figures."""
    return ", ".join(f"{k} {v:.4f}" for k, v in row.metrics.items() if isinstance(v, int | float))


def _course_figures(row: ModelVersion) -> str:
    """A course task's version: ROC AUC per checkpoint day, and the gate's refusal if any."""
    auc = row.metrics.get("auc_by_checkpoint") or {}
    figures = "ROC AUC by day: " + ", ".join(f"{day} {_figure(value)}" for day, value in auc.items())
    refused = course_versions.refused(row)
    return figures + (f"  (refused by the gate: {'; '.join(refused)})" if refused else "")


class _Bar:
    """A tqdm progress bar that a training progress callback moves."""

    def __enter__(self):
        self.bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% {postfix}").__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, fraction: float, message: str) -> None:
        self.bar.n = round(fraction * 100)
        self.bar.set_postfix_str(message)
        self.bar.refresh()


@click.command("train")
@click.argument("task", type=ALL_TASKS)
@click.option(
    "--data", "data_path", type=click.Path(dir_okay=False), help="Labelled CSV (default: bundled data)."
)
@click.option(
    "--activate", is_flag=True, help="Make the new version serve (a course task: if the gate passes)."
)
@click.option("--seed", default=0, show_default=True)
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds (form tasks).")
@click.option("--candidates", help="Comma-separated subset of candidates to try.")
@click.option("--checkpoints", help="A course task: comma-separated checkpoint days (default: all).")
@with_appcontext
def train(
    task: str,
    data_path: str | None,
    activate: bool,
    seed: int,
    folds: int,
    candidates: str | None,
    checkpoints: str | None,
) -> None:
    """Train every candidate with cross-validation and register the best as a new version."""
    names = candidates.split(",") if candidates else None
    TRAINERS[task](task, data_path, activate, seed, folds, names, checkpoints)


def _train_form_task(
    task: str, data_path: str | None, activate: bool, seed: int, folds: int, names: list[str] | None,
    checkpoints: str | None,
) -> None:
    """Train a form task on a labelled file (or its bundled data)."""
    if checkpoints:
        raise click.ClickException(f"{task} has no checkpoints; --checkpoints is for a course task.")
    try:
        data = load_labelled(task, data_path) if data_path else load_bundled(task)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if data.rejected:
        click.echo(f"{len(data.rejected)} row(s) skipped:", err=True)
        for line, reason in data.rejected[:10]:
            click.echo(f"  line {line}: {reason}", err=True)
    click.echo(f"Training {task} on {len(data.frame)} rows of {data.source}")
    with _Bar() as progress:
        row = call(model_versions.train_version, task, data, activate=activate, seed=seed, folds=folds,
                   candidates=names, progress=progress)
    _print_versions([row])
    _print_fairness(row)
    click.echo(f"Files: {model_versions.version_directory(row)}")


def _print_fairness(row) -> None:
    """The largest gaps between groups of every fairness report, and the fairness gate's verdict."""
    from modelling.fairness import summary

    record = row.fairness or {}
    for titled in record.get("reports") or []:
        click.echo(f"Fairness ({titled['title']}):")
        for line in summary(titled["report"]):
            click.echo(f"  {line}")
    for reason in (record.get("gate") or {}).get("reasons") or []:
        click.echo(f"The fairness gate refused v{row.version}: {reason}")


def _train_course_task(
    task: str, data_path: str | None, activate: bool, seed: int, folds: int, names: list[str] | None,
    checkpoints: str | None,
) -> None:
    """Train an early-warning version on the finished courses and say what the gate decided."""
    if data_path:
        raise click.ClickException(f"{task} trains on the finished courses in the store, not on --data.")
    with refusals():
        days = course_training.parse_checkpoints(checkpoints)
        courses, summary = course_training.course_data()
        click.echo(
            f"Training early warning on {len(courses)} finished course(s) with outcomes"
            f" ({summary['left_out_enrollments']} enrollment(s) without an outcome left out)"
        )
        with _Bar() as progress:
            row = course_training.train(
                activate=activate,
                checkpoints=days,
                candidates=names,
                seed=seed,
                progress=progress,
                data=(courses, summary),
            )
    _print_versions([row])
    _print_fairness(row)
    verdict = row.metrics.get("gate") or {}
    if verdict.get("passed"):
        click.echo("The evaluation gate passed" + (f"; v{row.version} now serves." if row.is_active else "."))
    else:
        click.echo(f"The evaluation gate refused v{row.version}: {'; '.join(verdict.get('reasons', []))}")
        if activate:
            click.echo(
                f"It was not activated; `activate {row.task} {row.version} --force` overrides the gate."
            )
    click.echo(f"Files: {model_versions.version_directory(row)}")


@click.command("ensure-models")
@with_appcontext
def ensure_models() -> None:
    """Train and activate a model for every task that has no active one (a course task: when finished
    courses with outcomes exist)."""
    for task in TASK_NAMES:
        if ModelVersion.active(task) is not None:
            click.echo(f"{task}: v{ModelVersion.active(task).version} is active.")
            continue
        click.echo(f"{task}: no active model; training one on the bundled data.")
        row = model_versions.train_version(task, load_bundled(task), activate=True)
        _print_versions([row])
    for task in COURSE_TASKS:
        _ensure_course_model(task)


def _ensure_course_model(task: str) -> None:
    active = ModelVersion.active(task)
    if active is not None:
        click.echo(f"{task}: v{active.version} is active.")
        return
    data = course_training.course_data()
    courses = data[0]
    if len(courses) < course_training.MIN_COURSES:
        click.echo(
            f"{task}: no active model, and {len(courses)} finished course(s) with outcomes: nothing to train."
        )
        return
    click.echo(
        f"{task}: no active model; training one on {len(courses)} finished courses"
        f" ({', '.join(course_training.FIRST_RUN_CANDIDATES)})."
    )
    try:
        row = course_training.train(activate=True, data=data, candidates=course_training.FIRST_RUN_CANDIDATES)
    except ServiceError as exc:
        click.echo(f"{task}: not trained: {exc.message}")
        return
    _print_versions([row])
    if not row.is_active:
        click.echo(f"{task}: v{row.version} was refused by the evaluation gate and is not active.")


@click.command("activate")
@click.argument("task", type=ALL_TASKS)
@click.argument("version", type=int)
@click.option("--force", is_flag=True, help="Activate a version the evaluation gate refused.")
@with_appcontext
def activate_command(task: str, version: int, force: bool) -> None:
    """Make a trained version serve its task."""
    try:
        row = model_versions.activate_version(task, version, confirm=force)
    except course_versions.GateRefused as exc:
        click.echo(f"{exc.message}\nReasons: {exc.fields.get('gate', '')}")
        if not click.confirm("Activate it anyway?", default=False):
            raise click.ClickException("Not activated.") from None
        row = call(model_versions.activate_version, task, version, confirm=True)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{task} now served by v{row.version} ({row.algorithm}).")


@click.command("models")
@with_appcontext
def list_models() -> None:
    """List model versions and their cross-validated figures (* marks the active one)."""
    rows = model_versions.versions()
    if not rows:
        click.echo("No model versions yet: run `flask --app wsgi train exam-score --activate`.")
    _print_versions(rows)


COMMANDS = (make_data, train, ensure_models, activate_command, list_models,)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)


# What differs between a form task and a course task on the command line, by task name.
FIGURES = {name: _form_figures for name in TASK_NAMES} | {name: _course_figures for name in COURSE_TASKS}
TRAINERS = {name: _train_form_task for name in TASK_NAMES} | {
    name: _train_course_task for name in COURSE_TASKS
}
