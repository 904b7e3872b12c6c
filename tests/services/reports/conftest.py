"""Reports' summaries leave through the fake Graph API, as every message does."""

import pytest

from tests.services.conversations.conftest import phones, say  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """Several messages to one parent within seconds (the 6-second gap is Meta's)."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
