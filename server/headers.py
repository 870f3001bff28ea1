"""Security headers on every response: a Content-Security-Policy that Dash runs under, and the
headers that stop sniffing, framing, referrer leaks and (with Secure cookies) plain HTTP."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: list[str]) -> str:
    """The policy: everything from this origin; inline scripts only when hashed (Dash's own).

    Styles allow 'unsafe-inline': Plotly draws charts with style attributes and injects <style>
    elements at run time, and Dash, AG Grid and Bootstrap components set style attributes, none
    of which can be hashed in advance. Inline styles cannot run code."""
    scripts = " ".join(["'self'", *script_hashes])  # Dash's hashes come quoted
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask, script_hashes: Callable[[], list[str]]) -> None:
    """Add the headers to every response (errors, assets and API answers included).
    `script_hashes` is asked once, at the first response: Dash adds some inline scripts (Pages'
    clientside callbacks) only when it sets itself up on the first request."""
    policy: list[str] = []
    strict_transport = bool(app.config.get("JWT_COOKIE_SECURE"))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(script_hashes()))
        # A view that serves its own inline scripts (the documentation site) sets its own hashes.
        response.headers.setdefault("Content-Security-Policy", policy[0])
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if strict_transport:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
