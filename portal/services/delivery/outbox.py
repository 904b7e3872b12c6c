"""Work to hand to the queue once the transaction that made it commits: a task enqueued
before the commit could run before its rows exist (or for rows that get rolled back)."""

from portal.extensions import db


def start_after_commit(broadcast) -> None:
    """Start (or schedule) this broadcast once the caller has committed."""
    db.session.info.setdefault("sandesh.start", []).append(broadcast.id)


def take_starts() -> list[int]:
    """The broadcasts waiting to be started; the caller enqueues them after committing."""
    return db.session.info.pop("sandesh.start", [])


def download_after_commit(message_id: int) -> None:
    """Fetch this inbound message's photo or document once the caller has committed."""
    db.session.info.setdefault("sandesh.download", []).append(message_id)


def take_downloads() -> list[int]:
    """The inbound messages whose media waits to be fetched; the caller enqueues them."""
    return db.session.info.pop("sandesh.download", [])


def discard() -> None:
    """Forget queued work after a rollback."""
    db.session.info.pop("sandesh.start", None)
    db.session.info.pop("sandesh.download", None)
