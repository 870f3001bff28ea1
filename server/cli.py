"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from db import migrations
from db.api_keys import SCOPES as API_KEY_SCOPES
from db.models import ModelVersion, User
from modelling.batch import BatchInputError, score_csv
from modelling.data import DEFAULT_SEED, load_bundled, load_labelled, make_bundled_data
from modelling.tasks import TASK_NAMES, task_for
from server.cli_scoring import COMMANDS as SCORING_COMMANDS
from services import accounts, api_keys, course_activity, demo, models
from services.errors import ServiceError

DEMO_USERS = [
    ("demo-admin", "admin@demo.local", "violet-harbour-71", "Demo Administrator", "admin"),
    ("demo-student", "student@demo.local", "amber-lantern-52", "Demo Student", "student"),
]


def _fail(exc: ServiceError) -> None:
    details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema (same as db-upgrade on an empty database)."""
    applied = migrations.upgrade()
    click.echo(
        f"Database ready at schema version {migrations.current_version()}"
        f" ({len(applied)} migration(s) applied)."
    )


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending schema migrations, keeping all data."""
    before = migrations.current_version()
    applied = migrations.upgrade()
    if applied:
        click.echo(f"Upgraded schema {before} -> {migrations.current_version()}: {applied}")
    else:
        click.echo(f"Schema already at version {before}; nothing to do.")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["student", "admin"]), default="student", show_default=True)
@click.option("--full-name", default="")
def create_user(username: str, email: str, password: str, role: str, full_name: str) -> None:
    """Create an account non-interactively."""
    migrations.upgrade()
    try:
        user = accounts.register(username, email, password, full_name, role=role)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create a demo admin, a demo student and the demo cohort (development only); print the logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo is for development only; use create-user.")
    migrations.upgrade()
    for username, email, password, full_name, role in DEMO_USERS:
        if User.by_login(username) is None:
            accounts.register(username, email, password, full_name, role=role)
            state = "created"
        else:
            state = "exists"
        click.echo(f"  {role:<8} username: {username:<13} password: {password}   ({state})")
    try:
        added = demo.seed_cohort()
    except models.ModelUnavailable as exc:
        click.echo(f"  No demo cohort: {exc} (run ensure-models first).")
        return
    if added:
        click.echo(f"  demo cohort: {added} saved predictions of {demo.COHORT_SIZE} students (created)")
    else:
        click.echo("  demo cohort: exists")
    click.echo("  Remove the demo cohort with: flask --app wsgi remove-demo")


@click.command("remove-demo")
@with_appcontext
def remove_demo() -> None:
    """Delete the demo cohort (the demo-cohort account and its saved predictions), nothing else."""
    removed = demo.remove_cohort()
    click.echo(f"Removed the demo cohort: {removed} saved predictions.")


TASK = click.Choice(TASK_NAMES)


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
        figures = ", ".join(f"{k} {v:.4f}" for k, v in row.metrics.items() if isinstance(v, int | float))
        click.echo(
            f"{mark} {row.task:<10} v{row.version:<3} {row.algorithm:<20} {row.rows:>7} rows  {figures}"
        )


@click.command("train")
@click.argument("task", type=TASK)
@click.option(
    "--data", "data_path", type=click.Path(dir_okay=False), help="Labelled CSV (default: bundled data)."
)
@click.option("--activate", is_flag=True, help="Make the new version serve.")
@click.option("--seed", default=0, show_default=True)
@click.option("--folds", default=5, show_default=True)
@click.option("--candidates", help="Comma-separated subset of candidates to try.")
@with_appcontext
def train(
    task: str, data_path: str | None, activate: bool, seed: int, folds: int, candidates: str | None
) -> None:
    """Train every candidate with cross-validation and register the best as a new version."""
    try:
        data = load_labelled(task, data_path) if data_path else load_bundled(task)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if data.rejected:
        click.echo(f"{len(data.rejected)} row(s) skipped:", err=True)
        for line, reason in data.rejected[:10]:
            click.echo(f"  line {line}: {reason}", err=True)
    click.echo(f"Training {task} on {len(data.frame)} rows of {data.source}")
    with tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% {postfix}") as bar:

        def progress(fraction: float, message: str) -> None:
            bar.n = round(fraction * 100)
            bar.set_postfix_str(message)
            bar.refresh()

        try:
            row = models.train_version(
                task,
                data,
                activate=activate,
                seed=seed,
                folds=folds,
                candidates=candidates.split(",") if candidates else None,
                progress=progress,
            )
        except ServiceError as exc:
            _fail(exc)
    _print_versions([row])
    click.echo(f"Files: {models.artifacts_root() / row.artifact_dir}")


@click.command("ensure-models")
@with_appcontext
def ensure_models() -> None:
    """Train and activate a model on the bundled data for every task that has no active one."""
    for task in TASK_NAMES:
        if ModelVersion.active(task) is not None:
            click.echo(f"{task}: v{ModelVersion.active(task).version} is active.")
            continue
        click.echo(f"{task}: no active model; training one on the bundled data.")
        row = models.train_version(task, load_bundled(task), activate=True)
        _print_versions([row])


@click.command("activate")
@click.argument("task", type=TASK)
@click.argument("version", type=int)
@with_appcontext
def activate_command(task: str, version: int) -> None:
    """Make a trained version serve its task."""
    try:
        row = models.activate_version(task, version)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{task} now served by v{row.version} ({row.algorithm}).")


@click.command("models")
@with_appcontext
def list_models() -> None:
    """List model versions and their cross-validated figures (* marks the active one)."""
    rows = models.versions()
    if not rows:
        click.echo("No model versions yet: run `flask --app wsgi train exam-score --activate`.")
    _print_versions(rows)


@click.command("score")
@click.argument("task", type=TASK)
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.argument("output_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", type=int, help="Score with this version instead of the active one.")
@click.option("--block-kb", default=4096, show_default=True, help="Size of the blocks read at a time.")
@with_appcontext
def score(task: str, input_path: str, output_path: str, version: int | None, block_kb: int) -> None:
    """Score a CSV (either naming) into OUTPUT: inputs, predictions and an error column."""
    try:
        if version is None:
            predictor = models.active_predictor(task)
        else:
            predictor = models.version_predictor(task, version)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    bands = task_for(task).bands(current_app.config)
    try:
        with tqdm(unit=" rows", unit_scale=True) as bar:
            summary = score_csv(
                predictor,
                bands,
                input_path,
                output_path,
                block_bytes=block_kb << 10,
                on_block=lambda s: bar.update(s.rows - bar.n),
            )
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    except BatchInputError as exc:
        Path(output_path).unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{summary.scored} row(s) scored, {summary.rejected} with errors, by {task} v{predictor.version}"
        f" -> {output_path}"
    )
    for line, reason in summary.examples:
        click.echo(f"  line {line}: {reason}", err=True)
    if summary.scored == 0:
        raise click.ClickException("No row could be scored.")


@click.command("export-features")
@click.option("--day", type=click.IntRange(min=0), required=True, help="Features from days 0..DAY-1.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--course", "course_code", help="Only this course (default: every course).")
@with_appcontext
def export_features(day: int, out_path: str, course_code: str | None) -> None:
    """Write one row per enrollment: course, enrollment_id, then its features as of day DAY."""
    try:
        summary = course_activity.export_features(day, out_path, course_code)
    except ServiceError as exc:
        Path(out_path).unlink(missing_ok=True)
        _fail(exc)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    for code in summary.skipped:
        click.echo(f"  {code}: left out, the course is shorter than {day} days", err=True)
    click.echo(
        f"{summary.rows} enrollment(s) of {summary.courses} course(s), features as of day {day} -> {out_path}"
    )


# API keys for platforms (SPEC.md 6.2).


@click.command("create-api-key")
@click.argument("name")
@click.option("--scope", type=click.Choice(API_KEY_SCOPES), required=True, help="What the key may do.")
@with_appcontext
def create_api_key(name: str, scope: str) -> None:
    """Create a platform's key and print it once (only its hash is kept)."""
    migrations.upgrade()
    try:
        row, key = api_keys.create(name, scope)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created API key {row.name} (scope {row.scope}, prefix {row.prefix}).")
    click.echo("The key, shown only now (keep it in the platform's secrets):")
    click.echo(f"  {key}")
    click.echo(f"Send it in the {api_keys.HEADER} header, e.g.:")
    click.echo(
        f"  curl -X POST -H 'Content-Type: application/json' -H '{api_keys.HEADER}: <the key>'"
        """ -d '{"events": [...]}' <server>/api/v1/activity"""
    )


@click.command("revoke-api-key")
@click.argument("name")
@with_appcontext
def revoke_api_key(name: str) -> None:
    """Stop a platform's key working at once."""
    try:
        row = api_keys.revoke(name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"API key {row.name} ({row.prefix}) revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC.")


API_KEY_COMMANDS = (create_api_key, revoke_api_key)


def init_app(app: Flask) -> None:
    """Attach the commands to `flask --app wsgi`."""
    for command in (
        init_db,
        db_upgrade,
        create_user,
        seed_demo,
        remove_demo,
        make_data,
        train,
        ensure_models,
        activate_command,
        list_models,
        score,
        export_features,
        *API_KEY_COMMANDS,
        *SCORING_COMMANDS,
    ):
        app.cli.add_command(command)
