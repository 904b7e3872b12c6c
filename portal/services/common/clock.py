"""The time, in one place, so tests can move it (monkeypatch `clock.now`)."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
