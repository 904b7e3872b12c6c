"""What a browser on a slow link may keep: hashed static files for a year without asking
again, whoever is signed in (no Vary: Cookie, no Set-Cookie); pages that name nothing it
would revalidate; photos answered 304 when asked again. bench.slow_link times the same in
Chromium on an emulated 2G link."""

import io
import re
from html.parser import HTMLParser

import brotli
from PIL import Image

from portal.services.media import files
from tests import media_samples

YEAR = {"public", "max-age=31536000", "immutable"}
PAGES = ["/", "/students/", "/broadcasts/new", "/broadcasts/", "/guardians/", "/settings/"]


class Fetched(HTMLParser):
    """Every URL a page makes the browser fetch by itself: <link href>, <script src>, <img src>."""

    def __init__(self):
        super().__init__()
        self.links: dict[str, list[str]] = {}  # rel (or script, img) -> URLs

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link":
            self.links.setdefault(attrs.get("rel", ""), []).append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.links.setdefault(tag, []).append(attrs["src"])


def fetched(html: str) -> dict[str, list[str]]:
    parser = Fetched()
    parser.feed(html)
    return parser.links


def directives(response) -> set[str]:
    return {d.strip() for d in response.headers.get("Cache-Control", "").split(",") if d.strip()}


def static_urls(portal, page="/students/") -> list[str]:
    links = fetched(portal.get(page).get_data(as_text=True))
    return links["stylesheet"] + links["script"]


def static_urls_anonymous(client) -> dict[str, list[str]]:
    return fetched(client.get("/login").get_data(as_text=True))


def test_hashed_static_files_are_kept_a_year_whoever_is_signed_in(admin_portal):
    urls = static_urls(admin_portal)
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in urls), urls
    for url in urls:
        with admin_portal.get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
            assert response.status_code == 200
            assert directives(response) == YEAR  # no no-cache beside it
            # The same for everyone: a Vary: Cookie would make the browser ask again
            # after each sign-in or change of language, a Set-Cookie would be cached.
            assert response.headers["Vary"] == "Accept-Encoding"
            assert "Set-Cookie" not in response.headers
            assert "Expires" not in response.headers and "Last-Modified" not in response.headers
            etag, weak = response.get_etag()
            assert etag and not weak


def test_a_revalidation_is_a_304_that_keeps_the_year(admin_portal):
    for url in static_urls(admin_portal):
        first = admin_portal.get(url, headers={"Accept-Encoding": "br"})
        again = admin_portal.get(
            url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304 and again.get_data() == b""
        assert directives(again) == YEAR and again.headers["ETag"] == first.headers["ETag"]
        assert "Cookie" not in again.headers["Vary"]


def test_a_page_runs_htmx_then_the_portals_own_script_from_one_file(client, app):
    (url,) = static_urls_anonymous(client)["script"]  # one request on a first visit
    with client.get(url) as response:
        served = response.get_data()
    parts = []
    for name in ("vendor/htmx-2.0.11.min.js", "app.js"):
        with open(f"{app.static_folder}/{name}", "rb") as source:
            parts.append(source.read().rstrip())
    assert served == b";\n".join(parts) + b";\n"
    assert b"var htmx=" in parts[0] and b"htmx:beforeSwap" in parts[1]


def test_static_files_are_compressed_at_brotli_s_best(client, app):
    url = static_urls_anonymous(client)["script"][0]
    with client.get(url) as response:
        plain = response.get_data()
    with client.get(url, headers={"Accept-Encoding": "gzip, br"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.get_data()) == plain
        assert len(response.get_data()) < len(brotli.compress(plain, quality=5))
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
    with client.get(url) as response:
        assert "Content-Encoding" not in response.headers and response.get_data() == plain


def assert_names_nothing_to_ask_again(portal, page: str, response) -> None:
    links = fetched(response.get_data(as_text=True))
    assert links.pop("icon") == ["data:,"], page  # no /favicon.ico request on every visit
    for url in links.pop("stylesheet") + links.pop("script"):
        with portal.get(url) as asset:
            assert directives(asset) == YEAR and "Cookie" not in asset.headers["Vary"], url
    assert links == {}, f"{page} makes the browser fetch more: {links}"
    assert {"no-cache", "private"} <= directives(response), page  # the page: always current


def pages_without_arguments(app) -> list[str]:
    """Every portal page a plain GET opens (the reports page too, once it is added)."""
    machine = ("static", "api", "webhook", "health", "api_schedules", "media")
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and rule.endpoint.split(".")[0] not in machine
    )


def test_no_page_names_anything_a_browser_would_ask_for_again(admin_portal, app, roster):
    checked = []
    for page in pages_without_arguments(app):
        response = admin_portal.get(page)
        if response.status_code == 200 and "<html" in response.get_data(as_text=True):
            assert_names_nothing_to_ask_again(admin_portal, page, response)
            checked.append(page)
    assert set(PAGES) <= set(checked), checked


def test_full_pages_preload_their_stylesheet_and_script(admin_portal):
    response = admin_portal.get("/students/")
    links = fetched(response.get_data(as_text=True))
    preload = re.findall(r"<([^>]+)>; rel=preload; as=(\w+)", response.headers["Link"])
    assert preload == [(links["stylesheet"][0], "style"), (links["script"][0], "script")]
    fragment = admin_portal.get("/students/?q=a", htmx=True)
    assert "Link" not in fragment.headers  # its page has them already


def test_a_photo_asked_for_again_is_a_304(admin_portal, school, db):
    media = files.accept(
        school=school,
        data=media_samples.small_photo(),
        filename="a.jpg",
        declared="image/jpeg",
        source="portal",
    )
    db.session.commit()
    for url in (f"/media/{media.id}", f"/media/{media.id}/thumb", f"/media/{media.id}/thumb/small"):
        first = admin_portal.get(url)
        assert first.status_code == 200
        assert directives(first) == {"private", "max-age=31536000", "immutable"}
        again = admin_portal.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
        assert directives(again) == directives(first)
        changed = admin_portal.get(url, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200 and changed.get_data() == first.get_data()


def test_a_list_shows_a_photo_from_a_thumbnail_a_third_the_size(admin_portal, school, db):
    media = files.accept(
        school=school,
        data=media_samples.photo(1600, 1200, quality=90),
        filename="sports-day.jpg",
        declared="image/jpeg",
        source="portal",
    )
    db.session.commit()
    thumb = admin_portal.get(f"/media/{media.id}/thumb").get_data()
    small = admin_portal.get(f"/media/{media.id}/thumb/small")
    assert small.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(small.get_data())).size) == 96
    assert len(small.get_data()) * 2 < len(thumb)
    assert small.headers["ETag"] != admin_portal.get(f"/media/{media.id}/thumb").headers["ETag"]


def test_pages_are_compressed_at_brotli_level_5(admin_portal):
    with admin_portal.get("/students/", headers={"Accept-Encoding": "br"}) as response:
        plain = brotli.decompress(response.get_data())
        assert len(response.get_data()) <= len(brotli.compress(plain, quality=5))
        assert len(response.get_data()) < len(brotli.compress(plain, quality=4))
