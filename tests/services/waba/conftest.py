"""Meta on day one: the app talks to a fake Graph API on 127.0.0.1 through the Cloud API
client and the account calls, and Meta's webhooks arrive signed, as they would."""

import copy
import json

import pytest

from portal.whatsapp.management import GraphManagement
from tests.conftest import APP_ID, WABA
from tests.helpers import FIXTURES

__all__ = ["APP_ID", "WABA", "fixture"]


@pytest.fixture(autouse=True)
def _in_english(english):
    """These tests read messages and alerts in English."""


@pytest.fixture
def graph(meta):
    return GraphManagement(meta.url, app_id=APP_ID)


def fixture(name: str, **value_changes) -> dict:
    """One of Meta's examples (tests/fixtures/whatsapp), with its change's value and its
    entry's id (the WABA) changed as given (`entry_id=`)."""
    doc = copy.deepcopy(json.loads((FIXTURES / "whatsapp" / name).read_text(encoding="utf-8")))
    entry = doc["entry"][0]
    entry["id"] = value_changes.pop("entry_id", entry["id"])
    entry["changes"][0]["value"].update(value_changes)
    return doc
