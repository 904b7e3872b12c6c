"""Sandesh: school notices to every parent on WhatsApp, in Nepali or English."""

from flask import Flask

from portal import config
from portal.config import INSTANCE_PATH, PROJECT_ROOT


def create_app(overrides: dict | None = None, process: str = "web") -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and commands. `process`
    is `web` (gunicorn, the CLI) or `worker` (a Huey consumer: longer database timeouts)."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_PATH),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(config.load(process=process))
    app.config.update(overrides or {})
    trust_proxies(app)
    register_extensions(app)
    register_web(app)
    register_blueprints(app)
    register_intake(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, the client's address and scheme are the ones the
    nearest of them saw (X-Forwarded-For/-Proto, that many hops back); with none set, the
    socket's own, so a client cannot choose its address by sending the header itself."""
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_extensions(app: Flask) -> None:
    from portal.extensions import babel, compress, csrf, db, login_manager, migrate
    from portal.models import sqlite_pragmas
    from portal.web.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        sqlite_pragmas(db.engine)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    compress.init_app(app)


def register_web(app: Flask) -> None:
    from portal.web import assets, error_pages, guards, i18n, security

    assets.init_app(app)
    guards.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    error_pages.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal import api, health, webhook
    from portal.web import (
        audit,
        auth,
        broadcasts,
        classes,
        dashboard,
        failed_events,
        guardians,
        imports,
        inbox,
        schools,
        settings,
        simulator,
        students,
        teachers,
    )

    for module in (
        health,
        auth,
        dashboard,
        classes,
        students,
        guardians,
        teachers,
        imports,
        audit,
        schools,
        failed_events,
        broadcasts,
        inbox,
        simulator,
        settings,
        webhook,
        api,
    ):
        app.register_blueprint(module.bp)
    register_school_year(app)


def register_school_year(app: Flask) -> None:
    """The calendar, recurring broadcasts and their API, attendance; photos and PDFs; reports."""
    from portal.api import reports as api_reports
    from portal.api import schedules as api_schedules
    from portal.web import attendance, calendar, media, reports, schedules

    for module in (schedules, calendar, api_schedules, attendance, media, reports, api_reports):
        app.register_blueprint(module.bp)


def register_intake(app: Flask) -> None:
    """Meta's webhook POSTs answered before Flask's request machinery (`webhook.intake`)."""
    from portal.webhook import intake

    intake.install(app)


def register_commands(app: Flask) -> None:
    from portal import cli

    cli.init_app(app)
