"""Template parameters as Meta accepts them: one line, no tabs, no long space runs, never empty."""

import re

MAX_PARAM_LENGTH = 1024
_LINE_BREAKS = re.compile(r"[ ]*[\r\n\t\v\f\x85\u2028\u2029]+[ ]*")
_LONG_SPACES = re.compile(r" {5,}")


def flatten_param(value) -> str:
    """A parameter on one line: breaks and tabs become one space, long space runs one space."""
    text = _LONG_SPACES.sub(" ", _LINE_BREAKS.sub(" ", str(value if value is not None else "")))
    return text.strip()


def sanitize_param(value) -> str:
    """A parameter Meta will not refuse: on one line, at most MAX_PARAM_LENGTH characters
    (longer text is the caller's to split first), empty becomes a dash."""
    text = flatten_param(value)
    if len(text) > MAX_PARAM_LENGTH:
        text = text[: MAX_PARAM_LENGTH - 1].rstrip() + "…"
    return text or "-"


def body_component(params: dict[str, str]) -> list[dict]:
    """The `components` list for named body parameters (empty when the template has none)."""
    if not params:
        return []
    parameters = [
        {"type": "text", "parameter_name": name, "text": sanitize_param(value)}
        for name, value in params.items()
    ]
    return [{"type": "body", "parameters": parameters}]
