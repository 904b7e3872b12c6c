"""API tests read in English."""

import pytest


@pytest.fixture(autouse=True)
def _in_english(english):
    """These tests read messages and errors in English."""
