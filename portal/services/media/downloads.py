"""A file someone sent to a school's number, fetched from the Graph API at once (an inbound
media id lasts only days): `GET /{media_id}` for a URL that works for a few minutes (newer
webhooks carry the `url` already), then the bytes with the school's token; checked against
the size Meta declares and the school's limit before it is read, and against its checksum
(the webhook's sha256 is base64, the media endpoint's hex) before it is kept."""

import base64
import binascii
import hashlib

from portal.models import MediaFile, School
from portal.services.media import files
from portal.services.media.refusals import MediaRefused, Size
from portal.whatsapp.media_api import TooLarge

ACCEPTED_TYPES = ("image", "document")


def fetch(*, school: School, kind: str, ref: dict, transport, token: str, source: str) -> MediaFile:
    """Download, check and keep the file of an inbound `image` or `document`; raises
    MediaRefused (nothing kept) when it is not one to keep. Transport and Graph errors pass
    through (worth another try)."""
    if kind not in ACCEPTED_TYPES or not ref.get("id"):
        raise MediaRefused("not_media")
    image_limit, document_limit = files.limits(school)
    limit = image_limit if kind == "image" else document_limit
    url, expected = ref.get("url"), _from_base64(ref.get("sha256"))
    if not url:
        info = transport.media_info(media_id=ref["id"], token=token)
        url, expected = info.get("url"), expected or _from_hex(info.get("sha256"))
        declared = int(info.get("file_size") or 0)
        if declared > limit:
            raise MediaRefused(_too_large(kind), size=Size(declared), limit=Size(limit))
    if not url:
        raise MediaRefused("download_failed")
    try:
        data = transport.download_media(url=url, token=token, limit=limit)
    except TooLarge as exc:
        raise MediaRefused(_too_large(kind), size=Size(exc.size), limit=Size(limit)) from None
    if expected is not None and hashlib.sha256(data).digest() != expected:
        raise MediaRefused("checksum")
    return files.accept(
        school=school,
        data=data,
        filename=ref.get("filename"),
        declared=ref.get("mime_type"),
        source=source,
    )


def _too_large(kind: str) -> str:
    return "image_too_large" if kind == "image" else "document_too_large"


def _from_base64(value: str | None) -> bytes | None:
    """The webhook's checksum: SHA-256 in base64."""
    if not value:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == 32 else None


def _from_hex(value: str | None) -> bytes | None:
    """The media endpoint's checksum: SHA-256 in hex."""
    try:
        digest = bytes.fromhex(value or "")
    except ValueError:
        return None
    return digest if len(digest) == 32 else None
