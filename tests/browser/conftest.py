"""Browser tests: Debian's Chromium, driven by Playwright, against the app served live.

The live server runs the session's app in a thread, so it shares the test database; the
`page` fixture fails the test on any JavaScript error or Content-Security-Policy violation.
"""

import os
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Reported by Chromium for every 4xx answer to a fetch, including the 422 of a form with errors.
EXPECTED_CONSOLE = ("Failed to load resource: the server responded with a status of 422",)
# Each CSP violation is reported to Python as it happens, whichever page it happens on.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`));
"""


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """The app at http://127.0.0.1:<free port>, for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless; a missing browser fails the tests, it never skips them.
    Stopped after this package: while Playwright runs, the thread counts as running an
    asyncio loop, which other tests' own loops refuse."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: scripts/services installs it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Problems(list):
    """JavaScript errors, console errors and CSP violations seen while a test ran."""

    def console(self, message):
        if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE):
            self.append(f"console error: {message.text}")

    def page_error(self, error):
        self.append(f"JavaScript error: {error}")

    def csp(self, _source, description):
        self.append(f"CSP violation: {description}")


@pytest.fixture
def problems():
    return Problems()


@pytest.fixture
def page(browser, live_server, problems):
    """A fresh browser tab (no cookies) on the live server, watched for errors."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    context.set_default_timeout(10_000)
    context.expose_binding("reportCspViolation", problems.csp)
    context.add_init_script(WATCH_CSP)
    tab = context.new_page()
    tab.on("console", problems.console)
    tab.on("pageerror", problems.page_error)
    yield tab
    context.close()
    assert problems == [], "the browser reported problems"


@pytest.fixture
def sign_in(page):
    """Sign a user in through the login form, as a person would."""

    def sign_in(user, password=PASSWORD):
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.click("form button.primary")
        page.wait_for_url(lambda url: not url.endswith("/login"))
        return page

    return sign_in
