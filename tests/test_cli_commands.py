"""`flask --app wsgi --help` offers the same commands with the same arguments and options, whichever
module of the command-line package defines them."""

from __future__ import annotations

import click

COMMANDS = {
    "activate": ["--force", "task", "version"],
    "archive-course": ["code"],
    "assign-tutor": ["course", "username"],
    "create-api-key": ["--courses", "--may-create-courses", "--may-push-finished", "--scope", "name"],
    "create-user": ["--email", "--full-name", "--password", "--role", "username"],
    "db-upgrade": [],
    "ensure-models": [],
    "erase-learner": ["--course", "--yes", "learner_ref"],
    "export-features": ["--course", "--day", "--out"],
    "export-learner": ["--course", "--out", "learner_ref"],
    "import-activity": [
        "--course", "--date-order", "--days", "--format", "--rebase", "--start", "--time-zone", "paths",
    ],
    "import-contacts": ["--course", "path"],
    "import-outcomes": ["--course", "path"],
    "init-db": [],
    "link-learner": ["course", "learner_ref", "username"],
    "make-data": ["--seed"],
    "models": [],
    "purge-expired": ["--dry-run"],
    "remove-demo": [],
    "resend-digests": [],
    "revoke-api-key": ["name"],
    "score": ["--block-kb", "--version", "input_path", "output_path", "task"],
    "score-enrollments": ["--course", "--day", "--out"],
    "seed-demo": ["--courses-only"],
    "set-role": ["role", "username"],
    "sso-link": ["provider", "subject", "username"],
    "train": ["--activate", "--candidates", "--checkpoints", "--data", "--folds", "--seed", "task"],
    "unassign-tutor": ["course", "username"],
    "unlink-learner": ["course", "learner_ref"],
}


def _parameters(command: click.Command) -> list[str]:
    return sorted(p.opts[0] if isinstance(p, click.Option) else p.name for p in command.params)


def test_every_command_keeps_its_name_and_options(app):
    offered = {name: _parameters(command) for name, command in app.cli.commands.items()}
    assert offered == COMMANDS


def test_help_lists_every_command(app):
    result = app.test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed
