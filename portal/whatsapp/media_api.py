"""The Cloud API's media calls, as a part of CloudClient: upload a file for a number
(`POST /{phone_number_id}/media`, multipart: messaging_product, type, file), read a media
id's short-lived URL (`GET /{media_id}`: url, mime_type, sha256 in hex, file_size, id),
download its bytes with the token, and send image and document messages and templates with
a media header. Field names from Meta's "Media" page (business-phone-numbers/media), the
"Image messages" and "Document messages" pages and "Template media"."""

import httpx

from portal.whatsapp.errors import GraphError, TransportError
from portal.whatsapp.outgoing import media_message, media_object, template_message

MEDIA_TIMEOUT = httpx.Timeout(60, connect=5)  # a 100 MB PDF takes a while either way


class MediaCalls:
    """What CloudClient adds for photos and PDFs (it gives `api_url`, `transport`, `_post`)."""

    def send_media(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        kind: str,
        media_id: str,
        caption: str | None = None,
        filename: str | None = None,
        callback_data: str | None = None,
    ) -> str:
        """Send an uploaded image or document with its caption; the wamid Meta gave it."""
        from portal.whatsapp.client import _wamid

        payload = media_message(
            to=to,
            kind=kind,
            media_id=media_id,
            caption=caption,
            filename=filename,
            callback_data=callback_data,
        )
        return _wamid(self._post(phone_number_id, token, payload))

    def send_media_template(
        self,
        *,
        phone_number_id: str,
        token: str,
        to: str,
        name: str,
        language: str,
        params: dict[str, str],
        kind: str,
        media_id: str,
        filename: str | None = None,
        callback_data: str | None = None,
        quick_replies: list[str] | None = None,
    ) -> str:
        """Send a template whose header is the uploaded image or document (and its quick
        replies' payloads); its wamid."""
        from portal.whatsapp.client import _wamid

        header = {"type": kind, kind: media_object(kind, media_id, filename)}
        payload = template_message(
            to=to,
            name=name,
            language=language,
            params=params,
            callback_data=callback_data,
            header=header,
            quick_replies=quick_replies,
        )
        return _wamid(self._post(phone_number_id, token, payload))

    def upload_media(
        self, *, phone_number_id: str, token: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file for one sending number; the media id (Meta keeps it 30 days)."""
        fields = {"messaging_product": "whatsapp", "type": mime_type}
        files = {"file": (filename, data, mime_type)}
        request = httpx.Request(
            "POST",
            f"{self.api_url}/{phone_number_id}/media",
            data=fields,
            files=files,
            headers=_headers(token),
            extensions={"timeout": MEDIA_TIMEOUT.as_dict()},
        )
        body = self._media_request(request)
        media_id = body.get("id")
        if not isinstance(media_id, str) or not media_id:
            raise GraphError(code=None, http_status=200, message="the upload gave no media id")
        return media_id

    def media_info(self, *, media_id: str, token: str) -> dict:
        """A media id's download URL (valid a few minutes), type, hex sha256 and size."""
        request = httpx.Request(
            "GET",
            f"{self.api_url}/{media_id}",
            headers=_headers(token),
            extensions={"timeout": MEDIA_TIMEOUT.as_dict()},
        )
        return self._media_request(request)

    def download_media(self, *, url: str, token: str, limit: int) -> bytes:
        """The bytes at a media URL, fetched with the token; more than `limit` is refused
        before it is all read."""
        request = httpx.Request(
            "GET", url, headers=_headers(token), extensions={"timeout": MEDIA_TIMEOUT.as_dict()}
        )
        try:
            response = self.transport.handle_request(request)
            try:
                if not 200 <= response.status_code < 300:
                    response.read()
                    raise GraphError.from_response(response.status_code, _json(response))
                return _read_at_most(response, limit)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"connection failed: {exc!r}") from exc

    def _media_request(self, request: httpx.Request) -> dict:
        try:
            response = self.transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"connection failed: {exc!r}") from exc
        body = _json(response)
        if response.is_success and isinstance(body, dict):
            return body
        raise GraphError.from_response(response.status_code, body)


class TooLarge(ValueError):
    """A download longer than its limit (stopped before it was all read)."""

    def __init__(self, size: int):
        super().__init__(f"more than {size} bytes")
        self.size = size


def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(int(declared))
    chunks, total = [], 0
    for chunk in response.iter_raw():
        total += len(chunk)
        if total > limit:
            raise TooLarge(total)
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "User-Agent": "Sandesh"}


def _json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return None
