"""Huey tasks: load by id, call a service, commit. The database is the source of truth;
a task only wakes a worker, and a periodic sweeper re-enqueues what no one holds."""

import functools

from portal.extensions import huey

_app = None


def app_task(*task_args, **task_kwargs):
    """A Huey task that runs inside an app context (the app is built once per consumer)."""

    def decorator(fn):
        @huey.task(*task_args, **task_kwargs)
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with _flask_app().app_context():
                return fn(*args, **kwargs)

        return wrapped

    return decorator


def _flask_app():
    global _app
    if _app is None:
        from flask import current_app, has_app_context

        if has_app_context():  # immediate mode in tests: use the app under test
            return current_app._get_current_object()
        from portal import create_app

        _app = create_app()
    return _app


__all__ = ["app_task", "huey"]
