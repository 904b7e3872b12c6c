"""Signing in under attack: behind a proxy one guesser locks out only themselves, concurrent
guesses are counted exactly, a saved cookie dies with sign-out, and `next=` never leaves the
site however it is spelt."""

import threading
from urllib.parse import quote, urljoin, urlsplit

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.models import LoginThrottle, User
from portal.services.accounts import logins, users
from tests.conftest import FreshContextClient, Portal, close_connections
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"  # the reverse proxy every request comes through
GUESSER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture(scope="module")
def proxied_app(app):
    """The app as deployed behind one reverse proxy (PROXY_COUNT=1)."""
    proxied = create_app({"PROXY_COUNT": 1})
    proxied.test_client_class = FreshContextClient
    yield proxied
    close_connections(proxied)


def through_proxy(app, client_address: str) -> Portal:
    """A browser at `client_address`, its requests arriving from the proxy's socket."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_address})
    return Portal(client)


def sign_in(portal: Portal, email: str, password: str) -> int:
    return portal.post("/login", {"email": email, "password": password}).status_code


def test_a_guesser_behind_the_proxy_does_not_lock_out_the_owner(proxied_app, admin):
    guesser = through_proxy(proxied_app, GUESSER)
    codes = [sign_in(guesser, admin.email, f"guess-{n}") for n in range(30)]
    assert codes[:5] == [422] * 5 and set(codes[5:]) == {429}
    # the guesser is refused even with the right password now...
    assert sign_in(guesser, admin.email, PASSWORD) == 429
    # ...but the owner, from their own address through the same proxy, gets in
    assert sign_in(through_proxy(proxied_app, OWNER), admin.email, PASSWORD) == 302


def test_a_guessing_address_is_stopped_for_every_account(proxied_app, school):
    people = [UserFactory(school=school) for _ in range(5)]
    guesser = through_proxy(proxied_app, GUESSER)
    codes = [sign_in(guesser, p.email, f"guess-{n}") for p in people for n in range(4)]
    assert codes == [422] * 20  # four guesses at each of five accounts: the address's 20
    assert sign_in(guesser, people[0].email, PASSWORD) == 429
    assert sign_in(through_proxy(proxied_app, OWNER), people[0].email, PASSWORD) == 302


def test_without_a_proxy_count_forwarded_for_is_not_believed(portal, admin):
    """A client may not pick a fresh address per guess by sending the header itself."""
    for n in range(5):
        spoofed = {"X-Forwarded-For": f"192.0.2.{n}"}
        response = portal.post("/login", {"email": admin.email, "password": "x"}, headers=spoofed)
        assert response.status_code == 422
    spoofed = {"X-Forwarded-For": "192.0.2.200"}
    response = portal.post("/login", {"email": admin.email, "password": PASSWORD}, headers=spoofed)
    assert response.status_code == 429


def test_concurrent_wrong_passwords_are_counted_exactly(app, db, admin):
    """Twelve guesses at once: each is counted before its check, so only five are checked."""
    guesses, email = 12, admin.email
    browsers = [Portal(app.test_client()) for _ in range(guesses)]
    for browser in browsers:
        browser.csrf_token()
    start, codes = threading.Barrier(guesses), []

    def guess(browser, n):
        start.wait()
        codes.append(sign_in(browser, email, f"wrong-{n}"))

    threads = [threading.Thread(target=guess, args=(b, n)) for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [422] * 5 + [429] * 7
    db.session.rollback()
    pair, address = (key for key, _ in logins.throttle_keys(email, "127.0.0.1"))
    counts = dict(db.session.execute(sa.select(LoginThrottle.key, LoginThrottle.failures)).all())
    assert counts == {pair: guesses, address: guesses}


def test_a_saved_session_cookie_stops_working_at_sign_out(app, portal, admin):
    portal.login(admin)
    saved = portal.client.get_cookie("session").value
    assert portal.get("/").status_code == 200
    portal.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", saved)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_or_deactivation_ends_every_session(app, db, admin):
    first, second = Portal(app.test_client()), Portal(app.test_client())
    first.login(admin)
    second.login(admin)
    user = db.session.get(User, admin.id)
    users.set_password(user, "a new long password")
    db.session.commit()
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    first.login(admin, password="a new long password")
    users.deactivate(db.session.get(User, admin.id))
    db.session.commit()
    assert first.get("/").status_code == 302


def test_a_session_made_before_this_release_is_refused(app, admin):
    """A cookie holding only the user id (no session version) is no session at all."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
        session["_fresh"] = True
    assert client.get("/").status_code == 302


# Each spelt so that some browser reads it as another host (WHATWG URL parsing: C0 controls
# and spaces trimmed, tabs and newlines dropped, `\` read as `/`).
OFFSITE = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    " //evil.example",
    "  /\\evil.example",
    "\t//evil.example",
    "\x00//evil.example",
    "\x1f//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example\\@sandesh.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "//@evil.example",
    "/%0a/evil.example\x00",
]


@pytest.mark.parametrize("target", OFFSITE)
def test_next_never_leaves_the_site(portal, admin, target):
    response = portal.post(
        f"/login?next={quote(target, safe='')}", {"email": admin.email, "password": PASSWORD}
    )
    if "\x00" in target:  # no parameter may hold NUL: refused before the view
        assert response.status_code == 400 and "Location" not in response.headers
        return
    location = response.headers["Location"]
    assert location == "/"
    assert urlsplit(urljoin("https://sandesh.example/login", location)).netloc == (
        "sandesh.example"
    )


@pytest.mark.parametrize("target", ["/students", "/students/?page=2&q=a", "/broadcasts/1#p"])
def test_next_keeps_a_path_on_this_site(portal, admin, target):
    response = portal.post(
        f"/login?next={quote(target, safe='')}", {"email": admin.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", OFFSITE[:8])
def test_the_language_switch_never_leaves_the_site(admin_portal, target):
    response = admin_portal.post("/language", {"lang": "en", "next": target})
    assert response.headers["Location"] == "/"
