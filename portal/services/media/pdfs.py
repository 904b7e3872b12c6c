"""A PDF read with pypdf: its page count, and refused when it is damaged, locked, or carries
JavaScript or an action that runs by itself (/JS, /JavaScript, /AA, /Launch, or an
/OpenAction that is more than "open at this page")."""

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from portal.services.media.refusals import MediaRefused

SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/Launch"})
SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"})
MAX_OBJECTS = 200_000  # a walk that long is not a school circular
# The same names in the raw bytes: plainly, or written with #xx escapes (/J#61vaScript).
_PLAIN = re.compile(rb"/(?:JavaScript|JS|AA|Launch)(?=[\s/<>\[\]()%{}]|$)")
_ESCAPED = re.compile(rb"/[A-Za-z0-9]*#[0-9A-Fa-f]{2}[A-Za-z0-9#]*")


def check(data: bytes) -> int:
    """The page count of a PDF that is safe to send; raises MediaRefused otherwise."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise MediaRefused("pdf_encrypted")
        pages = len(reader.pages)
        unsafe = _has_script(reader.trailer)
    except MediaRefused:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OSError,
    ) as exc:
        logging.getLogger(__name__).info("PDF refused as unreadable: %r", exc)
        raise MediaRefused("corrupt_pdf") from None
    if pages < 1:
        raise MediaRefused("corrupt_pdf")
    if unsafe or _raw_names(data):
        raise MediaRefused("pdf_script")
    return pages


def _has_script(root) -> bool:
    """Whether any object reachable from the trailer holds a script or an automatic action."""
    seen, stack, walked = set(), [root], 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        walked += 1
        if walked > MAX_OBJECTS:
            return True  # refuse what cannot be read through
        if isinstance(node, DictionaryObject):
            if _dangerous(node):
                return True
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _dangerous(node: DictionaryObject) -> bool:
    if SCRIPT_KEYS.intersection(node.keys()):
        return True
    if node.get("/S") in SCRIPT_ACTIONS:
        return True
    opening = node.get("/OpenAction")
    if isinstance(opening, IndirectObject):
        opening = opening.get_object()
    return isinstance(opening, DictionaryObject) and _action_is_script(opening)


def _action_is_script(action: DictionaryObject) -> bool:
    kind = action.get("/S")
    return not isinstance(kind, NameObject) or kind != "/GoTo"


def _raw_names(data: bytes) -> bool:
    """Script names in the raw bytes (escaped, or where the walk does not reach)."""
    if _PLAIN.search(data):
        return True
    for match in _ESCAPED.finditer(data):
        name = re.sub(rb"#([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group())
        if name in (b"/JS", b"/JavaScript", b"/Launch", b"/AA"):
            return True
    return False
