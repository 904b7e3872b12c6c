"""The Graph API's account calls for the app: Meta's, or the sandbox's stand-in."""

from flask import current_app

from portal.services.delivery.transport import is_sandbox
from portal.services.waba.sandbox import SandboxGraph
from portal.whatsapp.management import GraphManagement


def current_graph():
    """Meta's Graph API with the Cloud API transport; the sandbox's stand-in otherwise."""
    if is_sandbox():
        return SandboxGraph()
    seconds = float(current_app.config["WHATSAPP_TIMEOUT_SECONDS"])
    return GraphManagement(
        current_app.config["WHATSAPP_API_URL"],
        app_id=current_app.config["WHATSAPP_APP_ID"],
        timeout=max(seconds, 15.0),
    )
