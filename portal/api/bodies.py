"""Reading an API request's JSON body: anything that is not a JSON object Sandesh can store
is a clear 4xx, never a 500 (too deeply nested, not UTF-8, NUL or lone surrogates)."""

import json

from flask import request

from portal.lexicon.text import is_storable

MAX_DEPTH = 32  # a broadcast is two levels deep; deeper is not a broadcast
TOO_DEEP = f"The JSON is nested more than {MAX_DEPTH} deep."


class BadBody(ValueError):
    """Why the body cannot be read: `status` (400 or 422), `code`, `message`, `fields`."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def json_object() -> dict:
    """The body as a JSON object of storable values, or BadBody."""
    try:
        payload = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise BadBody(
            400, "bad_request", f"The JSON is nested more than {MAX_DEPTH} deep."
        ) from None
    except ValueError:  # not JSON, or not UTF-8
        raise BadBody(400, "bad_request", "Send a JSON object.") from None
    if not isinstance(payload, dict):
        raise BadBody(400, "bad_request", "Send a JSON object.")
    where = _unstorable(payload, "", 0)
    if where is not None:
        message = "Text may not hold NUL characters or lone surrogates."
        raise BadBody(422, "invalid", "Some fields are not valid.", {where or "body": [message]})
    return payload


def _unstorable(value, path: str, depth: int) -> str | None:
    """The path of the first value that cannot be stored, or None."""
    if depth > MAX_DEPTH:
        raise BadBody(400, "bad_request", TOO_DEEP)
    if isinstance(value, str):
        return None if is_storable(value) else path
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = str(key)
        if not is_storable(name):
            return path or "body"
        found = _unstorable(item, f"{path}.{name}" if path else name, depth + 1)
        if found is not None:
            return found
    return None
