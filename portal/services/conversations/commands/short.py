"""Short messages: YES / NO to a preview (`YES 42`, `हो ४२` for a numbered one), CANCEL 42,
STATUS 42, HELP."""

from portal.services.conversations.commands.results import (
    Cancel,
    Command,
    Confirm,
    Decline,
    Help,
    Refusal,
    Status,
)
from portal.services.conversations.commands.words import (
    CANCEL,
    CONFIRM,
    DECLINE,
    HELP,
    ID_FILLERS,
    STATUS,
    fold_phrase,
)

GREETINGS = {"hi", "hello", "namaste", "नमस्ते", "नमस्कार"}
MAX_ID_DIGITS = 12


def read_reply(text: str) -> Command | None:
    """The short command `text` is, None if it is none (so it may be a broadcast)."""
    phrase = fold_phrase(text)
    if phrase and not phrase.replace("?", "").strip():
        return Help()
    words = [word.strip("?") for word in phrase.split() if word.strip("?")]
    spoken = [word for word in words if any(ch.isalnum() for ch in word)]
    phrase = " ".join(spoken or words)  # `OK 👍` is `ok`; `👍` alone stays
    if phrase in CONFIRM:
        return Confirm()
    if phrase in DECLINE:
        return Decline()
    answer = _numbered_answer(phrase)
    if answer is not None:
        return answer
    words = phrase.split()
    if words and (words[0] in HELP or (words[0] in GREETINGS and len(words) <= 2)):
        return Help()
    return _read_id_command(words)


def _numbered_answer(phrase: str) -> Command | None:
    """`yes 42`, `yes #42`, `42 yes`, `हो ४२`, `ठीक छ ४२`, `no 42`: an answer to one preview."""
    words = phrase.split()
    ids = [i for i, word in enumerate(words) if _is_id(word.lstrip("#"))]
    if len(ids) != 1 or ids[0] not in (0, len(words) - 1) or len(words) < 2:
        return None
    broadcast_id = int(words[ids[0]].lstrip("#"))
    rest = [word for i, word in enumerate(words) if i != ids[0]]
    for said in (" ".join(rest), " ".join(w for w in rest if w not in ID_FILLERS)):
        if said in CONFIRM:
            return Confirm(broadcast_id)
        if said in DECLINE:
            return Decline(broadcast_id)
    return None


def _is_id(word: str) -> bool:
    return word.isascii() and word.isdigit() and len(word) <= MAX_ID_DIGITS and int(word) > 0


def _read_id_command(words: list[str]) -> Command | None:
    """`CANCEL 42`, `cancel #42`, `स्थिति ४२`, `४२ नं रद्द गर्नुहोस्`."""
    words = [word.lstrip("#") for word in words if word.lstrip("#") not in ID_FILLERS]
    if not words:
        return None
    for keyword, make in ((CANCEL, Cancel), (STATUS, Status)):
        if words[0] in keyword:
            rest = words[1:]
        elif words[-1] in keyword:
            rest = words[:-1]
        else:
            continue
        if len(rest) > 2:
            return None  # a sentence that begins with the word, not the command
        return make(_broadcast_id(rest))
    return None


def _broadcast_id(rest: list[str]) -> int:
    given = rest[0] if len(rest) == 1 else ""
    if _is_id(given):
        return int(given)
    raise Refusal("bad_id", " ".join(rest) or None)
