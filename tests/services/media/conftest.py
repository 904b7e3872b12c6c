"""Media tests send through the real Cloud API client to the fake Graph API, in English."""

import pytest

from portal.services.delivery import transport
from portal.whatsapp.client import CloudClient
from tests.fakes.graph_api import FakeGraphAPI

TOKEN = "media-token"


@pytest.fixture
def graph(app):
    """The fake Graph API, which the app's sends, uploads and downloads go to."""
    with FakeGraphAPI(TOKEN) as fake:
        app.extensions[transport.KEY] = CloudClient(fake.url)
        old_token = app.config["WHATSAPP_ACCESS_TOKEN"]
        app.config["WHATSAPP_ACCESS_TOKEN"] = TOKEN
        yield fake
        app.config["WHATSAPP_ACCESS_TOKEN"] = old_token
        app.extensions.pop(transport.KEY, None)


@pytest.fixture(autouse=True)
def _in_english(english):
    """Refusals and messages read in English here."""


@pytest.fixture(autouse=True)
def no_pair_gap(monkeypatch):
    """A caption's later parts follow it within seconds here."""
    monkeypatch.setattr("portal.services.delivery.ratelimit.PAIR_GAP_SECONDS", 0.0)
