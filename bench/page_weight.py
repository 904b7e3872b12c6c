"""Page weight: the bytes a browser receives for a first visit to the students page, and
for one HTMX search, beside the budgets (50 KB and 8 KB).

    .venv/bin/python -m bench.page_weight [--language ne|en]

It builds the demo school in a temporary database, signs in as its admin and asks for
every resource the page links (<link>, <script>, <img>, and url() in stylesheets) with
`Accept-Encoding: br, gzip`, as a browser would with an empty cache. "On the wire" is the
status line, headers and compressed body of each response. Exits 1 when over a budget.
"""

import argparse
import gzip
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FIRST_VISIT_BUDGET = 50_000  # bytes, everything a first visit transfers
INTERACTION_BUDGET = 8_000  # bytes, one HTMX response
ACCEPT = {"Accept-Encoding": "br, gzip", "Accept": "text/html,*/*"}
SEARCH = "/students/?q=a"  # matches most names: a full page of rows, the largest fragment


@dataclass
class Resource:
    url: str
    kind: str
    encoding: str
    body: int  # compressed body bytes
    wire: int  # status line + headers + compressed body
    text: str  # the decoded body, for following its links


class _Links(HTMLParser):
    """Same-site URLs of <link href>, <script src> and <img src> in a page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = {"link": "href", "script": "src", "img": "src"}.get(tag)
        url = dict(attrs).get(wanted) if wanted else None
        if url:
            self.urls.append(url)


def decode(data: bytes, encoding: str) -> str:
    """A response body as text, undoing br or gzip."""
    if encoding == "br":
        import brotli

        data = brotli.decompress(data)
    elif encoding == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def measure(client, url: str, **headers) -> Resource:
    """Fetch one URL as a browser would and count what it transfers."""
    with client.get(url, headers=ACCEPT | headers) as response:
        assert response.status_code == 200, f"{url} answered {response.status}"
        body = response.get_data()
        head = f"HTTP/1.1 {response.status}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in response.headers.items()
        )
        encoding = response.headers.get("Content-Encoding", "identity")
        kind = _kind(response.mimetype)
        text = decode(body, encoding) if kind in ("html", "css") else ""
        return Resource(url, kind, encoding, len(body), len(head) + 2 + len(body), text)


def _kind(mimetype: str) -> str:
    return {"text/html": "html", "text/css": "css", "text/javascript": "js"}.get(
        mimetype, "js" if "javascript" in mimetype else mimetype
    )


def linked(resource: Resource) -> list[str]:
    """The same-site resources a page or stylesheet makes the browser fetch."""
    if resource.kind == "html":
        parser = _Links()
        parser.feed(resource.text)
        urls = parser.urls
    elif resource.kind == "css":
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", resource.text)
    else:
        urls = []
    found = []
    for url in urls:
        full = urljoin(resource.url, url)
        if urlsplit(full).scheme in ("", "http", "https") and not urlsplit(full).netloc:
            found.append(full)
        elif not url.startswith("data:"):
            raise AssertionError(f"{resource.url} loads {url} from another site")
    return found


def first_visit(client, url: str) -> list[Resource]:
    """Every response a first visit to `url` needs, with an empty cache."""
    seen, queue, resources = set(), [url], []
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        resource = measure(client, current)
        resources.append(resource)
        queue.extend(linked(resource))
    return resources


def fragment(client, url: str = SEARCH) -> Resource:
    """One HTMX request, as search-as-you-type sends it."""
    return measure(client, url, **{"HX-Request": "true", "HX-Current-URL": url})


def report(resources: list[Resource], search: Resource) -> tuple[str, bool]:
    """The figures as a table, and whether both budgets hold."""
    lines = [f"{'resource':58} {'kind':5} {'encoding':8} {'body':>8} {'on the wire':>12}"]
    for r in resources:
        lines.append(f"{r.url[:58]:58} {r.kind:5} {r.encoding:8} {r.body:>8,} {r.wire:>12,}")
    total = sum(r.wire for r in resources)
    ok = total < FIRST_VISIT_BUDGET and search.wire < INTERACTION_BUDGET
    lines.append(
        f"{'first visit, total':82} {total:>12,}  budget {FIRST_VISIT_BUDGET:,}"
        f"  {'OK' if total < FIRST_VISIT_BUDGET else 'OVER'}"
    )
    lines.append(
        f"{'HTMX search ' + search.url:58} {search.kind:5} {search.encoding:8} {search.body:>8,}"
        f" {search.wire:>12,}  budget {INTERACTION_BUDGET:,}"
        f"  {'OK' if search.wire < INTERACTION_BUDGET else 'OVER'}"
    )
    return "\n".join(lines), ok


def rows_shown(resource: Resource) -> int:
    """How many student rows a students page or fragment holds."""
    rows = re.search(r"<tbody>(.*?)</tbody>", resource.text, re.S)
    return rows.group(1).count("<tr") if rows else 0


def _demo_client():
    """A client signed in as the admin of a freshly seeded demo school."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.services.school import demo

    app = create_app()
    with app.app_context():
        upgrade()
        demo.seed_demo()
        db.session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"email": demo.USERS[0][0], "password": demo.PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302, "could not sign in"
    return client


def choose_language(client, language: str) -> None:
    """Switch the signed-in user's language with the header's form, as a person would."""
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/language", data={"lang": language, "next": "/", "csrf_token": token})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=("ne", "en"), action="append")
    languages = parser.parse_args(argv).language or ["ne", "en"]
    os.environ.update(SANDESH_INSTANCE_PATH=tempfile.mkdtemp(prefix="sandesh-bench-"))
    for name in ("DATABASE_URL", "REDIS_URL", "SANDESH_ENV"):
        os.environ.pop(name, None)
    client = _demo_client()
    all_ok = True
    for language in languages:
        choose_language(client, language)
        resources = first_visit(client, "/students/")
        search = fragment(client)
        table, ok = report(resources, search)
        print(
            f"\nStudents page, signed in to the demo school, language {language}: "
            f"{rows_shown(resources[0])} rows shown, {rows_shown(search)} in the search"
        )
        print(table)
        all_ok &= ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
