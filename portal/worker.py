"""The Huey consumer's entry point (`huey_consumer portal.worker.huey`): every task module
imported, so the consumer knows every task and periodic schedule."""

from portal.extensions import huey
from portal.tasks import delivery, sandbox, webhooks

__all__ = ["delivery", "huey", "sandbox", "webhooks"]
