"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from db import migrations
from db.api_keys import SCOPES as API_KEY_SCOPES
from db.tables import ROLES, ModelVersion, User
from modelling.batch import BatchInputError, score_csv
from modelling.data import DEFAULT_SEED, load_bundled, load_labelled, make_bundled_data
from modelling.tasks import ALL_TASK_NAMES, COURSE_TASKS, EARLY_WARNING, TASK_NAMES, task_for
from server.cli_privacy import COMMANDS as PRIVACY_COMMANDS
from server.cli_retention import COMMANDS as RETENTION_COMMANDS
from server.cli_scoring import COMMANDS as SCORING_COMMANDS
from services import (
    accounts,
    api_keys,
    course_activity,
    demo,
    demo_course_seeding,
    ingest,
    learner_links,
    model_versions,
)
from services.early_warning import scoring
from services.early_warning import training as course_training
from services.early_warning import versions as course_versions
from services.errors import ServiceError
from services.ingest.moodle_times import DATE_ORDERS
from services.tutoring import (
    contacts,
    tutors,
)

DEMO_USERS = [
    ("demo-admin", "admin@demo.local", "violet-harbour-71", "Demo Administrator", "admin"),
    ("demo-student", "student@demo.local", "amber-lantern-52", "Demo Student", "student"),
    ("demo-tutor", "tutor@demo.local", "cedar-meadow-38", "Demo Tutor", "tutor"),
]

DEMO_TUTOR = "demo-tutor"
DEMO_STUDENT = "demo-student"


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
@click.option("--role", type=click.Choice(ROLES), default="student", show_default=True)
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
@click.option("--courses-only", is_flag=True, help="Only the demo courses (before any model is trained).")
@with_appcontext
def seed_demo(courses_only: bool) -> None:
    """Create a demo admin, a demo student, the demo courses and the demo cohort (development only),
    score the running demo courses; print the logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo is for development only; use create-user.")
    migrations.upgrade()
    _seed_demo_courses()
    if courses_only:
        return
    for username, email, password, full_name, role in DEMO_USERS:
        if User.by_login(username) is None:
            accounts.register(username, email, password, full_name, role=role)
            state = "created"
        else:
            state = "exists"
        click.echo(f"  {role:<8} username: {username:<13} password: {password}   ({state})")
    _assign_demo_tutor()
    _link_demo_student()
    _seed_demo_cohort()
    _score_demo_courses()
    click.echo("  Remove the demo cohort and courses with: flask --app wsgi remove-demo")


def _seed_demo_courses() -> None:
    seeded = demo_course_seeding.seed_courses()
    created = [course for course in seeded if course.created]
    running = sum(course.running for course in seeded)
    click.echo(
        f"  demo courses: {len(seeded)} ({len(seeded) - running} finished with outcomes, {running} running),"
        f" {'created ' + str(len(created)) if created else 'exist'}"
    )


def _assign_demo_tutor() -> None:
    """The demo tutor tutors every demo course (assigning again changes nothing)."""
    assigned = demo_course_seeding.assign_demo_tutor(DEMO_TUTOR)
    click.echo(f"  {DEMO_TUTOR} tutors: {', '.join(assigned) or 'no course'}")


def _link_demo_student() -> None:
    link = demo_course_seeding.link_demo_student(DEMO_STUDENT)
    if link is not None:
        click.echo(f"  {DEMO_STUDENT} is the learner {link.learner_ref} of {link.course}")


def _seed_demo_cohort() -> None:
    try:
        added = demo.seed_cohort()
    except model_versions.ModelUnavailable as exc:
        click.echo(f"  No demo cohort: {exc} (run ensure-models first).")
        return
    if added:
        click.echo(f"  demo cohort: {added} saved predictions of {demo.COHORT_SIZE} students (created)")
    else:
        click.echo("  demo cohort: exists")


def _score_demo_courses() -> None:
    """Score the running courses now, so that a fresh install shows risks before the nightly run."""
    if ModelVersion.active(EARLY_WARNING.name) is None:
        click.echo("  Running courses not scored: no early-warning model is active.")
        return
    try:
        outcome = scoring.score_running_courses("cli")
    except ServiceError as exc:
        click.echo(f"  Running courses not scored: {exc.message}")
        return
    run = outcome.run
    click.echo(f"  running courses scored: {run.enrollments} enrollments of {run.courses} courses")


@click.command("remove-demo")
@with_appcontext
def remove_demo() -> None:
    """Delete the demo cohort (the demo-cohort account and its saved predictions) and the demo courses
    (codes DEMO-...), nothing else."""
    removed = demo.remove_cohort()
    courses = demo_course_seeding.remove_courses()
    click.echo(f"Removed the demo cohort: {removed} saved predictions; {courses} demo courses.")


TASK = click.Choice(TASK_NAMES)
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
        if model_versions.is_course_task(row.task):
            auc = row.metrics.get("auc_by_checkpoint") or {}
            figures = "ROC AUC by day: " + ", ".join(f"{day} {_figure(value)}" for day, value in auc.items())
            refused = course_versions.refused(row)
            figures += f"  (refused by the gate: {'; '.join(refused)})" if refused else ""
        else:
            figures = ", ".join(f"{k} {v:.4f}" for k, v in row.metrics.items() if isinstance(v, int | float))
        click.echo(
            f"{mark} {row.task:<13} v{row.version:<3} {row.algorithm:<20} {row.rows:>7} rows  {figures}"
        )


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


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
    if model_versions.is_course_task(task):
        if data_path:
            raise click.ClickException(f"{task} trains on the finished courses in the store, not on --data.")
        _train_course_task(activate, seed, names, checkpoints)
        return
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
        try:
            row = model_versions.train_version(
                task, data, activate=activate, seed=seed, folds=folds, candidates=names, progress=progress
            )
        except ServiceError as exc:
            _fail(exc)
    _print_versions([row])
    _print_fairness(row)
    click.echo(f"Files: {model_versions.artifacts_root() / row.artifact_dir}")


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


def _train_course_task(activate: bool, seed: int, names: list[str] | None, checkpoints: str | None) -> None:
    """Train an early-warning version on the finished courses and say what the gate decided."""
    try:
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
    except ServiceError as exc:
        _fail(exc)
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
        try:
            row = model_versions.activate_version(task, version, confirm=True)
        except ServiceError as inner:
            _fail(inner)
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
            predictor = model_versions.active_predictor(task)
        else:
            predictor = model_versions.version_predictor(task, version)
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


# API keys for platforms: a named, revocable secret a learning platform's scripts push activity with.


@click.command("create-api-key")
@click.argument("name")
@click.option("--scope", type=click.Choice(API_KEY_SCOPES), required=True, help="What the key may do.")
@click.option("--courses", default="", help="Course codes or patterns (* ?), comma-separated; default: any.")
@click.option("--may-create-courses", is_flag=True, help="Let the key create courses it names.")
@click.option("--may-push-finished", is_flag=True, help="Let the key push into finished courses.")
@with_appcontext
def create_api_key(
    name: str, scope: str, courses: str, may_create_courses: bool, may_push_finished: bool
) -> None:
    """Create a platform's key and print it once (only its hash is kept)."""
    migrations.upgrade()
    try:
        row, key = api_keys.create(
            name, scope, courses=courses, may_create_courses=may_create_courses,
            may_push_finished=may_push_finished,
        )
    except ServiceError as exc:
        _fail(exc)
    limits = ", ".join(row.course_patterns) or "any course"
    click.echo(
        f"Created API key {row.name} (scope {row.scope}, prefix {row.prefix}; courses: {limits};"
        f" creates courses: {'yes' if row.may_create_courses else 'no'};"
        f" pushes into finished courses: {'yes' if row.may_push_finished else 'no'})."
    )
    click.echo("The key, shown only now (keep it in the platform's secrets):")
    click.echo(f"  {key}")
    click.echo(f"Send it in the {api_keys.HEADER} header, e.g.:")
    click.echo(
        f"  curl -X POST -H 'Content-Type: application/json' -H '{api_keys.HEADER}: <the key>'"
        """ -d '{"events": [...]}' <server>/api/v1/activity"""
    )
    if row.scope == "ingest":
        click.echo("As an LRS (xAPI) credential, for <server>/api/v1/xapi/ by HTTP Basic:")
        click.echo(f"  user name: {row.prefix}")
        click.echo("  password:  the key")


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


def _print_import(report) -> None:
    click.echo(
        f"{report.file_name}: {report.format}, {report.lines_read:,} rows read,"
        f" {report.rows_imported:,} imported"
        f" ({report.rows_changed:,} new or changed), {report.rejected:,} rejected,"
        f" {report.enrollments:,} enrollments in {', '.join(report.courses) or 'no course'} [{report.status}]"
    )
    if report.outside_window:
        click.echo(f"  {report.outside_window:,} rows outside the course window kept aside (counted once the"
                   " window covers them)")
    if report.resumes:
        click.echo(f"  completes the failed import run {report.resumes} of the same file")
    if report.error:
        click.echo(f"  failed: {report.error} (rows up to line {report.last_line} are stored)", err=True)
    for kind, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        click.echo(f"  {count:,} x {kind}", err=True)
    for rejection in report.first_rejections[:10]:
        click.echo(f"  line {rejection.line}: {rejection.reason}", err=True)


@click.command("import-activity")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--course", help="Course code for rows without a course_id.")
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), help="Start date of a course created by the import."
)
@click.option("--days", type=int, help="Length in days of a course created by the import (default 30).")
@click.option("--format", "fmt", type=click.Choice(ingest.FORMATS), default="auto", show_default=True)
@click.option("--rebase", is_flag=True, help="Move each course's first date in the file onto its day 0.")
@click.option("--date-order", type=click.Choice(DATE_ORDERS),
              help="Local times' day/month order, of a Moodle Logs download (default MOODLE_DATE_ORDER).")
@click.option("--time-zone", metavar="ZONE",
              help="Local times' IANA time zone, e.g. Europe/Paris (default MOODLE_TIME_ZONE).")
@with_appcontext
def import_activity(
    paths: tuple[str, ...], course: str | None, start, days: int | None, fmt: str, rebase: bool,
    date_order: str | None, time_zone: str | None,
) -> None:
    """Import learner activity files; exits non-zero only when nothing could be read."""
    migrations.upgrade()
    anything = False
    for path in paths:
        try:
            report = ingest.import_file(
                path, fmt=fmt, course=course, start=start and start.date(), days=days, rebase=rebase,
                date_order=date_order, time_zone=time_zone,
            )
        except ServiceError as exc:
            click.echo(f"{path}: {exc.message} {'; '.join(exc.fields.values())}".strip(), err=True)
            continue
        _print_import(report)
        anything = anything or report.rows_imported > 0
    if not anything:
        raise click.ClickException("Nothing could be read.")


@click.command("import-outcomes")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--course", help="Course code for rows without a course_id.")
@with_appcontext
def import_outcomes(path: str, course: str | None) -> None:
    """Set enrollments' outcomes (label 1 dropped out, 0 stayed); unknown enrollments are reported."""
    migrations.upgrade()
    try:
        report = ingest.import_outcomes(path, course=course)
    except ServiceError as exc:
        _fail(exc)
    click.echo(
        f"{report.file_name}: {report.lines_read:,} rows read, {report.updated:,} outcomes set,"
        f" {report.rejected:,} rejected"
    )
    for kind, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        click.echo(f"  {count:,} x {kind}", err=True)
    for rejection in report.first_rejections[:10]:
        click.echo(f"  line {rejection.line}: {rejection.reason}", err=True)
    if report.updated == 0:
        raise click.ClickException("No outcome could be set.")


@click.command("import-contacts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--course", help="Course of rows without course_id (else: all the learner's enrollments).")
@with_appcontext
def import_contacts(path: str, course: str | None) -> None:
    """Store learners' email addresses (learner_ref,email[,name][,course_id]); bad rows are reported."""
    migrations.upgrade()
    try:
        with open(path, "rb") as handle:
            text = contacts.read_text(handle.read())
        report = contacts.import_contacts(text, file_name=Path(path).name, course=course)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{report.file_name}: {report.lines_read:,} rows read, {report.stored:,} contacts stored,"
               f" {report.rejected:,} rejected")
    for rejection in report.first_rejections:
        click.echo(f"  line {rejection['line']}: {rejection['reason']}", err=True)


# A tutor's courses, and which account is which learner.


@click.command("assign-tutor")
@click.argument("username")
@click.argument("course")
@with_appcontext
def assign_tutor(username: str, course: str) -> None:
    """Make USERNAME (a tutor or an administrator) a tutor of COURSE."""
    try:
        done = tutors.assign_tutor(None, username, course)
    except ServiceError as exc:
        _fail(exc)
    state = "now tutors" if done.changed else "already tutors"
    click.echo(f"{done.username} {state} {done.course}.")


@click.command("unassign-tutor")
@click.argument("username")
@click.argument("course")
@with_appcontext
def unassign_tutor(username: str, course: str) -> None:
    """Remove USERNAME from COURSE's tutors."""
    try:
        done = tutors.unassign_tutor(None, username, course)
    except ServiceError as exc:
        _fail(exc)
    state = "no longer tutors" if done.changed else "was not a tutor of"
    click.echo(f"{done.username} {state} {done.course}.")


@click.command("link-learner")
@click.argument("username")
@click.argument("course")
@click.argument("learner_ref")
@with_appcontext
def link_learner(username: str, course: str, learner_ref: str) -> None:
    """Link the account USERNAME to the learner LEARNER_REF of COURSE (they then see their activity)."""
    try:
        done = learner_links.link_learner(None, username, course, learner_ref)
    except ServiceError as exc:
        _fail(exc)
    state = "now linked to" if done.changed else "already linked to"
    click.echo(f"{done.username} {state} {done.learner_ref} in {done.course}.")


@click.command("unlink-learner")
@click.argument("course")
@click.argument("learner_ref")
@with_appcontext
def unlink_learner(course: str, learner_ref: str) -> None:
    """Remove the account link of the learner LEARNER_REF of COURSE."""
    try:
        done = learner_links.unlink_learner(None, course, learner_ref)
    except ServiceError as exc:
        _fail(exc)
    state = "unlinked" if done.changed else "was not linked"
    click.echo(f"{done.learner_ref} in {done.course} {state}.")


COURSE_PEOPLE_COMMANDS = (assign_tutor, unassign_tutor, link_learner, unlink_learner)


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
        import_activity,
        import_outcomes,
        import_contacts,
        *SCORING_COMMANDS,
        *COURSE_PEOPLE_COMMANDS,
        *PRIVACY_COMMANDS,
        *RETENTION_COMMANDS,
    ):
        app.cli.add_command(command)
