"""Meta's `X-Hub-Signature-256`: HMAC-SHA256 of the raw request bytes, keyed by the app secret."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for `body`: `sha256=<lower-case hex>`."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` signs exactly these bytes.

    Always the raw bytes as received: Meta signs its own serialisation (non-ASCII escaped as
    \\uXXXX), so re-serialised JSON stops matching as soon as a message holds Nepali text.
    """
    if not header or not app_secret or not isinstance(body, bytes | bytearray):
        return False
    return hmac.compare_digest(sign(bytes(body), app_secret).encode(), header.strip().encode())
