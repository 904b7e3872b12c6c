"""The Graph API's account calls (not the per-message hot path): a business phone number's
fields, and a WhatsApp Business Account's message templates.

- `GET /{phone_number_id}?fields=display_phone_number,verified_name,quality_rating,
  whatsapp_business_manager_messaging_limit` (messaging-limits page: the limit field exists
  from v24.0; `messaging_limit_tier` before it is deprecated).
- `POST /{waba_id}/message_templates` → `{"id", "status", "category"}` (templates/overview).
- `GET /{waba_id}/message_templates?fields=…` → `{"data": [...], "paging": {"next"}}`.
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

    def __init__(self, api_url: str, *, timeout: float = 15.0, transport=None):
        self.api_url = api_url.rstrip("/")
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

    def _request(self, method: str, path: str, token: str, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "Sandesh"}
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
