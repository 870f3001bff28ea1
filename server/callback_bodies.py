"""How large a Dash callback body may be, decided before any of it is parsed: DASH_CALLBACK_MAX_KB
for every callback, except that a callback reading an upload's `contents` (the file travels inside
its JSON) takes MAX_UPLOAD_MB when the signed-in caller may use its page. The callback is named by
the body's first member, `output` (Dash's renderer sends it first), read from the first bytes."""

from __future__ import annotations

import io
import json
import re

from flask import current_app, request

# app.extensions key of the check `(output) -> bool`: whether the signed-in caller may send that
# callback a file (registered by the dashboard).
UPLOAD_CHECK = "callback_upload_check"
HEAD_BYTES = 16 * 1024  # enough for the longest `output` key of a callback
_OUTPUT = re.compile(rb'^\s*\{\s*"output"\s*:\s*("(?:[^"\\]|\\.)*")')


class _Rejoined(io.RawIOBase):
    """The request body again: the bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest) -> None:
        self.head, self.rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self.head):
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _peek_output() -> str | None:
    """The `output` named by the body's first bytes (None when it does not start with one); the
    body is left whole for the view."""
    length = request.content_length
    size = HEAD_BYTES if length is None else min(HEAD_BYTES, length)
    stream = request.environ["wsgi.input"]
    head = stream.read(size)
    request.environ["wsgi.input"] = io.BufferedReader(_Rejoined(head, stream))
    found = _OUTPUT.match(head)
    if not found:
        return None
    try:
        return json.loads(found.group(1))
    except ValueError:
        return None


def callback_limit() -> int:
    """The largest body, in bytes, this callback request may send."""
    config = current_app.config
    small = config["DASH_CALLBACK_MAX_KB"] * 1024
    if request.content_length is not None and request.content_length <= small:
        return small
    name = _peek_output()
    # The dashboard knows which callbacks take uploads and who may use them: it registers the check.
    may_upload = current_app.extensions.get(UPLOAD_CHECK)
    if not name or may_upload is None or not may_upload(name):
        return small
    return config["MAX_UPLOAD_BYTES"]
