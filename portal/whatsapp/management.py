"""The Graph API's account calls (not the per-message hot path): a business phone number's
fields, and a WhatsApp Business Account's message templates.

- `GET /{phone_number_id}?fields=display_phone_number,verified_name,quality_rating,
  whatsapp_business_manager_messaging_limit` (messaging-limits page: the limit field exists
  from v24.0; `messaging_limit_tier` before it is deprecated).
- `POST /{waba_id}/message_templates` → `{"id", "status", "category"}` (templates/overview).
- `GET /{waba_id}/message_templates?fields=…` → `{"data": [...], "paging": {"next"}}`.
- A sample file for a template's media header, by the Resumable Upload API
  (graph-api/resumable-upload-api; templates' "Template media" page, May 2026):
  `POST /{app_id}/uploads?file_name&file_length&file_type` → `{"id": "upload:…"}`, then
  `POST /{upload_id}` with `Authorization: OAuth {token}`, `file_offset: 0` and the bytes →
  `{"h": handle}`, which a HEADER component's `example.header_handle` names.
"""

import httpx

from portal.whatsapp.errors import GraphError, TransportError

PHONE_FIELDS = (
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "whatsapp_business_manager_messaging_limit",
)
TEMPLATE_FIELDS = "id,name,language,status,category,quality_score,rejected_reason,components"
PAGE_SIZE = 100
MAX_PAGES = 50  # 5,000 templates: far past Meta's per-account template limit


class GraphManagement:
    """Account calls for any school's number and token, one short-lived request each."""

    def __init__(
        self, api_url: str, *, app_id: str | None = None, timeout: float = 15.0, transport=None
    ):
        self.api_url = api_url.rstrip("/")
        self.app_id = app_id  # Meta's app (WHATSAPP_APP_ID): only sample uploads need it
        self.timeout = timeout
        self.transport = transport

    def phone_number(self, *, phone_number_id: str, token: str) -> dict:
        """What Meta says of a business number: display number, verified name, quality
        rating and the portfolio's messaging limit."""
        params = {"fields": ",".join(PHONE_FIELDS)}
        return self._request("GET", f"/{phone_number_id}", token, params=params)

    def create_template(self, *, waba_id: str, token: str, definition: dict) -> dict:
        """Submit one template in one language for review; Meta's id, status and category."""
        return self._request("POST", f"/{waba_id}/message_templates", token, json=definition)

    def list_templates(self, *, waba_id: str, token: str) -> list[dict]:
        """Every template of the account, every language, following Meta's paging."""
        found: list[dict] = []
        params = {"fields": TEMPLATE_FIELDS, "limit": str(PAGE_SIZE)}
        path = f"/{waba_id}/message_templates"
        for _page in range(MAX_PAGES):
            page = self._request("GET", path, token, params=params)
            found += [t for t in page.get("data") or [] if isinstance(t, dict)]
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
            if not (page.get("paging") or {}).get("next") or not after:
                break
            params = params | {"after": after}
        return found

    def upload_sample(self, *, token: str, data: bytes, mime: str, filename: str) -> str:
        """Upload one sample file for Meta's review of a media-header template; its handle."""
        if not self.app_id:
            raise LookupError("WHATSAPP_APP_ID is not set")
        params = {"file_name": filename, "file_length": str(len(data)), "file_type": mime}
        session = self._request("POST", f"/{self.app_id}/uploads", token, params=params)
        upload_id = str(session.get("id") or "")
        if not upload_id.startswith("upload:"):
            raise GraphError(code=None, http_status=200, message="no upload session id")
        headers = {"Authorization": f"OAuth {token}", "file_offset": "0"}
        done = self._request("POST", f"/{upload_id}", token, content=data, headers=headers)
        if not done.get("h"):
            raise GraphError(code=None, http_status=200, message="no file handle")
        return str(done["h"])

    def _request(self, method: str, path: str, token: str, *, headers=None, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "Sandesh"} | (headers or {})
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.request(method, self.api_url + path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"connection failed: {exc!r}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict):
            return body
        raise GraphError.from_response(response.status_code, body)
