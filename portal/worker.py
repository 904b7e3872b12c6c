"""The Huey consumer's entry point (`huey_consumer portal.worker.huey`): every task module
imported, so the consumer knows every task and periodic schedule, and the app made as the
consumer starts rather than by the first task it runs."""

from portal import create_app
from portal.extensions import huey
from portal.tasks import (
    accounts,
    delivery,
    events,
    install_app,
    media,
    reports,
    sandbox,
    schedules,
    sweeper,
)

install_app(create_app(process="worker"))

__all__ = [
    "accounts",
    "delivery",
    "events",
    "huey",
    "media",
    "reports",
    "sandbox",
    "schedules",
    "sweeper",
]
