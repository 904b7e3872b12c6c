"""The app's WhatsApp transport: the Cloud API client or the recording sandbox."""

from flask import current_app

from portal.services.delivery import sandbox
from portal.whatsapp import get_transport

KEY = "sandesh.transport"


def current_transport():
    """One transport per app (and so per process), made on first use."""
    extensions = current_app.extensions
    if KEY not in extensions:
        extensions[KEY] = get_transport(current_app.config, recorder=sandbox.record_outgoing)
    return extensions[KEY]


def is_sandbox() -> bool:
    return current_app.config["WHATSAPP_TRANSPORT"] != "cloud"
