"""Default settings of the web app; overridden by SIGNOFF_* environment variables.

Read once in create_app. Nothing here talks to the engine or the database.
"""

from __future__ import annotations

from datetime import timedelta

LANGUAGES: tuple[str, ...] = ("zh", "en")


class Config:
    """Production defaults: secure cookies, CSRF on, Chinese first."""

    SESSION_COOKIE_NAME = "signoff_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Admin pages carry whole definition files (up to 5 MiB, engine/xmlsafe.py); the
    # editor posts them as JSON, where quotes and line breaks take two bytes each.
    ADMIN_MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    # A task form may stay open for a while; the token lives as long as the session.
    WTF_CSRF_TIME_LIMIT: int | None = None
    WTF_CSRF_ENABLED = True

    BABEL_DEFAULT_LOCALE = "zh"
    # BABEL_DEFAULT_TIMEZONE is the engine's office time zone (SIGNOFF_TIMEZONE) unless
    # set here: times are shown in the zone the engine counts office days in.
    BABEL_TRANSLATION_DIRECTORIES = "translations"

    PAGE_SIZE = 20
    # Seconds between two runs of the embedded timer worker of `signoff serve`.
    WORKER_INTERVAL = 5.0


class TestConfig(Config):
    """Settings for Flask's test client: plain-HTTP cookies, a fixed key."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SESSION_COOKIE_SECURE = False
