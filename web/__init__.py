"""Flask app factory: the staff UI and the JSON API over the engine's public API.

The web layer holds no database session and imports neither sqlalchemy nor
SpiffWorkflow; all data comes from the Engine in ``app.extensions["engine"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, current_app

from engine import Engine

logger = logging.getLogger(__name__)


def create_app(
    config: Mapping[str, object] | None = None, *, engine: Engine | None = None
) -> Flask:
    """Build the app: settings, engine, CSRF, i18n, blueprints, headers, errors."""
    from flask_wtf.csrf import CSRFProtect

    from engine import EngineConfig
    from engine.config import secret_key
    from web import (
        admin,
        api,
        auditor,
        auth,
        errors,
        i18n,
        inbox,
        instances,
        notifications,
        security,
        start,
        tasks,
        templating,
    )
    from web.config import Config

    app = Flask(__name__)
    app.config.from_object(Config)
    app.config.from_prefixed_env("SIGNOFF")
    if config:
        app.config.update(config)
    if engine is None:
        engine_config = EngineConfig.from_env()
        engine = Engine.from_config(engine_config)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = secret_key(engine_config.var_dir)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: set SIGNOFF_SECRET_KEY")
    app.extensions["engine"] = engine
    if isinstance(engine, Engine):  # not a stand-in that only renders templates
        # Times are shown in the zone the engine counts office days in.
        zone = engine.deadline_config.timezone
        app.config.setdefault("BABEL_DEFAULT_TIMEZONE", zone)

    app.before_request(security.admin_request_limit)  # before CSRF reads the body
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    i18n.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.register_error_handlers(app)
    for blueprint in (auth.bp, inbox.bp, tasks.bp, start.bp, instances.bp, api.bp,
                      admin.bp, auditor.bp, notifications.bp):
        app.register_blueprint(blueprint)
    return app


def current_engine() -> Engine:
    """Return the Engine the running app was built with."""
    engine: Engine = current_app.extensions["engine"]
    return engine
