"""A transport that stands in for the Cloud API in-process: it records each send and fails
chosen numbers with chosen errors."""

import itertools

from portal.whatsapp.errors import GraphError


class RecordingTransport:
    """Stands in for the Cloud API in-process: records each send, fails chosen numbers."""

    def __init__(self):
        self.sent: list[dict] = []
        self.failures: dict[str, list[Exception]] = {}
        self._ids = itertools.count(1)

    def fail(self, to: str, *errors: Exception) -> None:
        """Make the next sends to `to` raise these errors, in order."""
        self.failures.setdefault(to.lstrip("+"), []).extend(errors)

    def _send(self, **message) -> str:
        queue = self.failures.get(message["to"])
        if queue:
            raise queue.pop(0)
        wamid = f"wamid.test{next(self._ids)}"
        self.sent.append(message | {"wamid": wamid})
        return wamid

    def send_text(self, **kwargs) -> str:
        return self._send(kind="text", **kwargs)

    def send_template(self, **kwargs) -> str:
        return self._send(kind="template", **kwargs)

    def send_interactive(self, **kwargs) -> str:
        """Text with reply buttons: recorded as text the phone reads, with its buttons."""
        return self._send(kind="text", **kwargs)

    def to(self, phone: str) -> list[dict]:
        return [m for m in self.sent if m["to"] == phone.lstrip("+")]


def graph_error(code: int, http_status: int = 400) -> GraphError:
    return GraphError(code=code, http_status=http_status, message=f"error {code}")
