"""Huey tasks: load by id, call a service, commit. The database is the source of truth;
a task only wakes a worker, and a periodic sweeper re-enqueues what no one holds."""

import functools

from flask import current_app, has_app_context

from portal.extensions import huey

_app = None

# Queued tasks run highest priority first. Stored webhook events (a teacher's YES, statuses)
# and starting a broadcast are short and someone waits for them: they go first, then the
# schedule, then senders, whose pace the rate limit sets anyway. A deployment keeps
# SEND_CONCURRENCY below its consumer threads, so some threads are always free for events.
URGENT_PRIORITY = 20
SCHEDULE_PRIORITY = 10


def app_task(*, periodic=None, lock: str | None = None, **task_kwargs):
    """A Huey task (periodic when given a schedule) that runs inside an app context, and
    under a deployment-wide lock when `lock` names one."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with flask_app().app_context():
                if lock is None:
                    return fn(*args, **kwargs)
                with huey.lock_task(lock):
                    return fn(*args, **kwargs)

        if periodic is not None:
            return huey.periodic_task(periodic, **task_kwargs)(wrapped)
        return huey.task(**task_kwargs)(wrapped)

    return decorator


def flask_app():
    """The app tasks run in: the caller's when there is one (immediate mode in tests, a task
    called from app code), else the one this consumer process installed at its start."""
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        raise RuntimeError(
            "no app for tasks: start consumers with `huey_consumer portal.worker.huey`"
        )
    return _app


def install_app(app) -> None:
    """Give this process's tasks their app (`portal.worker` does, as the consumer starts)."""
    global _app
    _app = app


__all__ = ["SCHEDULE_PRIORITY", "URGENT_PRIORITY", "app_task", "flask_app", "huey", "install_app"]
