"""App wiring: health probes, security headers, static caching, sign-in, throttling, CSRF."""

import re

import pytest

from tests.factories import PASSWORD, UserFactory


def test_healthz_answers_without_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "queue": "ok", "whatsapp": "ok"}


def test_readyz_is_503_with_reasons_when_whatsapp_is_misconfigured(app, client):
    secret = app.config["WHATSAPP_APP_SECRET"]
    app.config.update(WHATSAPP_TRANSPORT="cloud", WHATSAPP_APP_SECRET=None)
    try:
        response = client.get("/readyz")
    finally:
        app.config.update(WHATSAPP_TRANSPORT="sandbox", WHATSAPP_APP_SECRET=secret)
    assert response.status_code == 503
    assert "WHATSAPP_APP_SECRET" in response.json["checks"]["whatsapp"]


def test_every_page_carries_a_strict_csp(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    html = client.get("/login").get_data(as_text=True)
    css_url = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    js_url = re.search(r'src="(/static/portal\.js\?v=[0-9a-f]{12})"', html).group(1)
    for url in (css_url, js_url):
        with client.get(url) as response:
            assert response.status_code == 200
            directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
            # cached for a year and never revalidated: no `no-cache` beside it
            assert directives == {"public", "max-age=31536000", "immutable"}
    with client.get("/static/app.css?v=000000000000") as stale:
        assert "max-age=31536000" not in stale.headers.get("Cache-Control", "")
        assert "no-cache" in stale.headers["Cache-Control"]
    page = client.get("/login")
    assert (
        "no-cache" in page.headers["Cache-Control"]
        and "max-age" not in page.headers["Cache-Control"]
    )


def test_responses_are_compressed(client):
    html = client.get("/login").get_data(as_text=True)
    js_url = re.search(r'src="(/static/portal\.js\?v=[0-9a-f]{12})"', html).group(1)
    with client.get(js_url, headers={"Accept-Encoding": "gzip, br"}) as response:
        assert response.headers["Content-Encoding"] in ("br", "gzip")
        assert len(response.data) < 25_000


def test_login_page_is_nepali_by_default_and_english_on_request(client):
    assert "साइन इन" in client.get("/login").get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sign in" in english
    assert '<html lang="en">' in english


def test_sign_in_and_out(portal, admin):
    response = portal.post("/login", {"email": admin.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    portal._token = None
    assert portal.get("/").status_code == 200
    assert portal.post("/logout").status_code == 302
    assert portal.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(portal, admin):
    response = portal.post(
        "/login", {"email": admin.email, "password": "wrong"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert "do not match" in response.get_data(as_text=True)


def test_missing_fields_are_named(portal):
    response = portal.post(
        "/login", {"email": "", "password": ""}, headers={"Accept-Language": "en"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in page and "Enter your password." in page


def test_login_is_throttled_after_repeated_failures(portal, admin):
    for _ in range(5):
        portal.post("/login", {"email": admin.email, "password": "nope"})
    response = portal.post(
        "/login", {"email": admin.email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_an_unknown_email_is_throttled_too(portal):
    for _ in range(5):
        portal.post("/login", {"email": "nobody@example.com", "password": "x"})
    response = portal.post("/login", {"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 429


def test_a_success_resets_the_failure_count(portal, admin):
    for _ in range(4):
        portal.post("/login", {"email": admin.email, "password": "nope"})
    portal.login(admin)
    portal.post("/logout")
    portal._token = None
    for _ in range(4):
        portal.post("/login", {"email": admin.email, "password": "nope"})
    assert portal.post("/login", {"email": admin.email, "password": PASSWORD}).status_code == 302


def test_inactive_users_cannot_sign_in(portal, school):
    user = UserFactory(school=school, active=False)
    response = portal.post("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/students", "/students"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_only_redirects_within_the_site(portal, admin, target, expected):
    response = portal.post(f"/login?next={target}", {"email": admin.email, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_post_without_csrf_token_is_rejected(client, admin):
    response = client.post(
        "/login",
        data={"email": admin.email, "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_rejected(admin_portal):
    response = admin_portal.client.post(
        "/language", data={"lang": "ne"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400


def test_language_choice_is_remembered_on_the_account(admin_portal, admin, db):
    admin_portal.post("/language", {"lang": "ne", "next": "/"})
    db.session.refresh(admin)
    assert admin.language == "ne"
    assert "ड्यासबोर्ड" in admin_portal.get("/").get_data(as_text=True)
    admin_portal.post("/language", {"lang": "en", "next": "/"})
    assert "Dashboard" in admin_portal.get("/").get_data(as_text=True)


def test_session_cookie_flags(portal, admin):
    response = portal.post("/login", {"email": admin.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
