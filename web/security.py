"""Security headers on every response and the safe-redirect check.

The Content-Security-Policy allows scripts and styles from this origin only: the
vendored bpmn-js bundle and web/static/diagram.js. No inline script, no CDN.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_app(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """Set the security headers; pages that show personal data are not cached."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def admin_request_limit() -> None:
    """Let admin pages receive definition files; other requests keep the app's limit.

    Registered before CSRF protection, which reads the body first.
    """
    if request.path.startswith("/admin/"):
        request.max_content_length = current_app.config["ADMIN_MAX_CONTENT_LENGTH"]


def is_safe_next(target: str | None) -> bool:
    """Tell whether ``target`` is a path on this site (no scheme, no host, no //)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target
