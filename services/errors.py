"""Errors a use case can raise; the API and the dashboard each render them their own way."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out, with a status, a code and per-field reasons."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class Unauthenticated(ServiceError):
    status, code = 401, "unauthenticated"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class InvalidInput(ServiceError):
    status, code = 422, "invalid"


class RateLimited(ServiceError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    status, code = 503, "unavailable"
