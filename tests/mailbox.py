"""A real SMTP server for tests and benchmarks (aiosmtpd on a loopback port) that keeps what it receives."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler: keeps each message with the time it arrived, or refuses every message with
    `refuse` (e.g. "451 4.3.0 Try again later")."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.messages: list[EmailMessage] = []
        self.received_at: list[float] = []
        self.attempts = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.attempts += 1
            if self.refuse:
                return self.refuse
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.received_at.append(time.perf_counter())
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to `address`."""
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Wait until `count` messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 with a Mailbox, started and stopped by its user."""

    def __init__(self, refuse: str | None = None, data_size_limit: int = 64 * 1024 * 1024) -> None:
        self.mailbox = Mailbox(refuse)
        self.port = free_port()
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, data_size_limit=data_size_limit
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.controller.stop()
