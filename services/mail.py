"""Sending one email over SMTP with the MAIL_* settings (named as Flask-Mail names them)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: a snapshot of the app's MAIL_* settings (threads read no app config)."""

    server: str
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "student-success@example.org"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """The settings of `config`, or None when MAIL_SERVER is unset (email is off)."""
        if not config.get("MAIL_SERVER"):
            return None
        return cls(
            server=config["MAIL_SERVER"],
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            sender=config.get("MAIL_DEFAULT_SENDER") or config.get("CONTACT_EMAIL") or cls.sender,
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS") or 10),
        )


def build_message(
    sender: str, to: str, subject: str, text: str, html: str, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """A message with a plain-text part and an HTML alternative (and any extra `headers`)."""
    message = EmailMessage()
    for name, value in (headers or {}).items():
        message[name] = value
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="student-success")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _connect(settings: MailSettings) -> smtplib.SMTP:
    """An open connection, encrypted and signed in as the settings say."""
    context = ssl.create_default_context()
    if settings.use_ssl:
        connection = smtplib.SMTP_SSL(
            settings.server, settings.port, timeout=settings.timeout, context=context
        )
    else:
        connection = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls:
            connection.starttls(context=context)
        if settings.username:
            connection.login(settings.username, settings.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def send(
    settings: MailSettings,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send one message; raises OSError or smtplib.SMTPException when the server refuses or is away."""
    message = build_message(settings.sender, to, subject, text, html, headers)
    with _connect(settings) as connection:
        connection.send_message(message)


@dataclass(frozen=True)
class Outgoing:
    """One message to send with `send_each`."""

    to: str
    subject: str
    text: str
    html: str
    headers: Mapping[str, str] | None = None


def send_each(settings: MailSettings, messages: list[Outgoing]) -> list[Exception | None]:
    """Send the messages over one connection (opening one costs more than a message): for each, None
    when the server took it or the error. After an error the next message gets a new connection."""
    outcomes: list[Exception | None] = []
    connection: smtplib.SMTP | None = None
    try:
        for one in messages:
            try:
                if connection is None:
                    connection = _connect(settings)
                message = build_message(settings.sender, one.to, one.subject, one.text, one.html, one.headers)
                connection.send_message(message)
                outcomes.append(None)
            except (OSError, smtplib.SMTPException) as exc:
                outcomes.append(exc)
                if connection is not None:
                    connection.close()
                connection = None
    finally:
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()
    return outcomes
