"""The fake Graph API's media: uploads (`POST /{phone_number_id}/media`, multipart with
messaging_product, type and file → `{"id"}`), a media id's short-lived URL (`GET
/{media_id}` → url, mime_type, sha256 in hex, file_size, id), the download at that URL with
the token, and media ids that expire. Shapes from Meta's "Media" page
(developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media)."""

import base64
import email.parser
import email.policy
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from tests.fakes.http11 import Request, Response

UPLOAD_PATH = re.compile(r"/(v\d+\.\d+)/([^/]+)/media")
MEDIA_PATH = re.compile(r"/(v\d+\.\d+)/(\d+)")
DOWNLOAD_PATH = re.compile(r"/_media/([A-Za-z0-9_-]+)")
MEDIA_ERROR = 131053  # "Media upload error": Meta could not use the media of a message


@dataclass
class StoredMedia:
    media_id: str
    data: bytes
    mime_type: str
    filename: str | None
    phone_number_id: str | None  # the number that uploaded it (None: a user sent it)
    key: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    declared_size: int | None = None  # what GET /{media_id} says, when a test wants a lie
    declared_sha256: str | None = None


def media_problem(kind: str, media) -> str | None:
    """Why an image or document message body is not one Meta would accept."""
    if not isinstance(media, dict) or not (media.get("id") or media.get("link")):
        return f"{kind}.id or {kind}.link is required"
    caption = media.get("caption")
    if caption is not None and (not isinstance(caption, str) or len(caption) > 1024):
        return f"{kind}.caption is at most 1024 characters"
    return None


def header_problem(params) -> str | None:
    """Why a template's header parameters are not a media header Meta would accept."""
    if len(params) != 1 or not isinstance(params[0], dict):
        return "a media header has exactly one parameter"
    kind = params[0].get("type")
    if kind not in ("image", "document", "video") or not isinstance(params[0].get(kind), dict):
        return "header parameter type must be image, document or video, with its object"
    return None if params[0][kind].get("id") else f"header {kind}.id is required"


def media_of(payload: dict) -> dict | None:
    """The media a message carries: `{"kind", "id", "caption", "filename"}`, or None."""
    kind = payload.get("type")
    if kind in ("image", "document"):
        media = payload.get(kind) or {}
        return {"kind": kind, **{k: media.get(k) for k in ("id", "caption", "filename")}}
    for component in (payload.get("template") or {}).get("components", []):
        if component.get("type") == "header":
            param = component["parameters"][0]
            media = param.get(param.get("type")) or {}
            return {
                "kind": param.get("type"),
                "id": media.get("id"),
                "caption": None,
                "filename": media.get("filename"),
            }
    return None


class FakeMedia:
    """The media endpoints and what they hold."""

    def __init__(self, base_url):
        self._base_url = base_url  # a callable: the server's address once it listens
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._by_id: dict[str, StoredMedia] = {}
            self._by_key: dict[str, StoredMedia] = {}
            self.uploads: list[dict] = []
            self.downloads: list[str] = []

    # -- what tests do -----------------------------------------------------------------

    def add(self, data: bytes, mime_type: str, *, filename=None, **lies) -> StoredMedia:
        """A file a WhatsApp user sent: its media id, as an inbound webhook carries it."""
        return self._keep(data, mime_type, filename, None, **lies)

    def expire(self, media_id: str) -> None:
        """Meta no longer has this media id (30 days passed)."""
        with self._lock:
            stored = self._by_id.pop(media_id, None)
            if stored:
                self._by_key.pop(stored.key, None)

    def knows(self, media_id: str | None) -> bool:
        with self._lock:
            return media_id in self._by_id

    def webhook_object(self, stored: StoredMedia, *, caption=None, with_url=False) -> dict:
        """The `image` / `document` object of an inbound message: sha256 in base64 there."""
        media = {
            "id": stored.media_id,
            "mime_type": stored.mime_type,
            "sha256": base64.b64encode(hashlib.sha256(stored.data).digest()).decode(),
        }
        if stored.filename:
            media["filename"] = stored.filename
        if caption:
            media["caption"] = caption
        if with_url:
            media["url"] = self._url(stored)
        return media

    # -- requests ----------------------------------------------------------------------

    def handle(self, request: Request, token_for) -> Response | None:
        """The answer to a media request, or None when the request is not one."""
        if request.method == "POST" and (match := UPLOAD_PATH.fullmatch(request.path)):
            return self._upload(match.group(2), request, token_for(match.group(2)))
        if request.method == "GET" and (match := DOWNLOAD_PATH.fullmatch(request.path)):
            return self._download(match.group(1), request, token_for(None))
        if request.method == "GET" and (match := MEDIA_PATH.fullmatch(request.path)):
            # GET /{id} is any node: one that is no media (a phone number) is the account
            # calls' to answer, and theirs is Meta's error for an id that is nothing.
            with self._lock:
                known = match.group(2) in self._by_id
            return self._info(match.group(2), request, token_for(None)) if known else None
        return None

    def _upload(self, number: str, request: Request, token: str) -> Response:
        from tests.fakes.graph_shapes import graph_error

        if request.headers.get("authorization") != f"Bearer {token}":
            return graph_error(401, 190)
        fields = _multipart(request)
        if fields.get("messaging_product", (None, b""))[1] != b"whatsapp":
            return graph_error(400, 100, "messaging_product must be whatsapp")
        if "file" not in fields or "type" not in fields:
            return graph_error(400, 100, "file and type are required")
        filename, data = fields["file"]
        mime_type = fields["type"][1].decode()
        if mime_type not in ("image/jpeg", "image/png", "application/pdf"):
            return graph_error(400, 131053, f"Unsupported media type {mime_type}")
        stored = self._keep(data, mime_type, filename, number)
        with self._lock:
            self.uploads.append(
                {
                    "phone_number_id": number,
                    "id": stored.media_id,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "type": mime_type,
                    "filename": filename,
                    "at": time.time(),
                }
            )
        return Response.json(200, {"id": stored.media_id})

    def _info(self, media_id: str, request: Request, token: str) -> Response:
        from tests.fakes.graph_shapes import graph_error

        if request.headers.get("authorization") != f"Bearer {token}":
            return graph_error(401, 190)
        with self._lock:
            stored = self._by_id[media_id]
        doc = {
            "messaging_product": "whatsapp",
            "url": self._url(stored),
            "mime_type": stored.mime_type,
            "sha256": stored.declared_sha256 or hashlib.sha256(stored.data).hexdigest(),
            "file_size": str(stored.declared_size or len(stored.data)),
            "id": media_id,
        }
        return Response.json(200, doc)

    def _download(self, key: str, request: Request, token: str) -> Response:
        if request.headers.get("authorization") != f"Bearer {token}":
            return Response(401)
        with self._lock:
            stored = self._by_key.get(key)
            if stored is not None:
                self.downloads.append(stored.media_id)
        if stored is None:
            return Response(404)
        return Response(200, stored.data, content_type=stored.mime_type)

    def _keep(self, data, mime_type, filename, number, **lies) -> StoredMedia:
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))
        stored = StoredMedia(media_id, data, mime_type, filename, number, **lies)
        with self._lock:
            self._by_id[media_id] = stored
            self._by_key[stored.key] = stored
        return stored

    def _url(self, stored: StoredMedia) -> str:
        return f"{self._base_url()}/_media/{stored.key}"


def _multipart(request: Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, bytes)."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    parts = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if name:
            parts[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return parts
