"""Reports' summaries leave through the fake Graph API, as every message does."""

from tests.services.conversations.conftest import phones, say  # noqa: F401  (fixtures)
