"""Attendance tests read in English; replies leave through the fake Graph API."""

import pytest

from tests.services.conversations.conftest import phones, say  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _in_english(english):
    """These tests read messages and errors in English."""


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """Several messages to one teacher within seconds (the 6-second gap is Meta's)."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
