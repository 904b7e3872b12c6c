"""Fixtures for the WhatsApp package: Meta's JSON examples and an in-process fake Graph API."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.fakes.graph_api import FakeGraphAPI

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "whatsapp"
TOKEN = "test-token"
APP_SECRET = "test-app-secret"


def fixture_bytes(name: str) -> bytes:
    """A webhook body exactly as stored (as Meta would have sent the bytes)."""
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def graph_api():
    """A fake Graph API on a free local port, for this test only."""
    with FakeGraphAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
def http():
    """A keep-alive HTTP client of the test's own, closed afterwards."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def pool():
    """A keep-alive connection pool of the test's own (what the Cloud API client sends
    through), closed afterwards."""
    with httpx.HTTPTransport() as transport:
        yield transport


class Receiver:
    """A tiny webhook endpoint: records every POST's raw bytes and signature header."""

    def __init__(self, answers=()):
        self.posts: list[tuple[bytes, str | None]] = []
        self.answers = list(answers)  # status codes to give first, then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    if status == 200:
                        receiver.posts.append((body, self.headers.get("X-Hub-Signature-256")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/whatsapp"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def english(db):
    """Messages in English (error reasons are translated; the default locale is Nepali)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield
