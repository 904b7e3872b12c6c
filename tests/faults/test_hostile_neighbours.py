"""Broken neighbours, for real: gunicorn from the Procfile in front of a database that takes
connections and never answers. The webhook answers 503 (Meta retries) and /readyz says why,
each within a couple of seconds; the access log keeps no verify token and no phone number."""

import socket
import threading
import time

import httpx
import pytest

from portal.whatsapp.signature import sign
from tests.faults.stack import APP_SECRET, Stack

pytestmark = pytest.mark.faults

VERIFY_TOKEN = "fault-verify-t0ken"


class BlackHole:
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.server.settimeout(0.2)
        while self.running:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                continue

    def close(self):
        self.running = False
        for conn in self.held:
            conn.close()
        self.server.close()


@pytest.fixture
def hung_web(tmp_path):
    hole = BlackHole()
    stack = Stack(
        api_url="http://127.0.0.1:9/v23.0",
        database_url=f"postgresql://postgres@127.0.0.1:{hole.port}/sandesh",
        redis_url=None,
        log_dir=tmp_path,
        SANDESH_INSTANCE_PATH=tmp_path,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        WEB_CONCURRENCY=1,
    )
    web = stack.web()
    yield stack, web
    stack.stop()
    hole.close()
    print(stack.logs())


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_hung_database_gets_503_within_the_timeout_and_readyz_says_why(hung_web):
    stack, web = hung_web
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    headers = {"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"}
    url = f"{stack.web_url}/webhooks/whatsapp"
    response, took = timed(lambda: httpx.post(url, content=body, headers=headers, timeout=30))
    print(f"webhook on a black-hole database: {response.status_code} in {took:.2f} s")
    assert response.status_code == 503 and took < 4
    assert response.json()["error"]["code"] == "unavailable"
    ready, took = timed(lambda: httpx.get(f"{stack.web_url}/readyz", timeout=30))
    print(f"/readyz: {ready.status_code} in {took:.2f} s: {ready.json()}")
    assert ready.status_code == 503 and took < 4
    assert "no answer within 2 s (connect timeout)" in ready.json()["checks"]["database"]


def test_the_access_log_keeps_no_verify_token_or_phone(hung_web):
    stack, web = hung_web
    query = f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
    answer = httpx.get(f"{stack.web_url}/webhooks/whatsapp?{query}", timeout=10)
    assert answer.status_code == 200 and answer.text == "1158201444"
    httpx.get(f"{stack.web_url}/simulator/+9779841000111?access_token=EAAGsecret", timeout=10)
    time.sleep(0.5)
    log = web.output()
    assert "/webhooks/whatsapp?hub.mode=subscribe" in log  # the access log is on
    for secret in (VERIFY_TOKEN, "9841000111", "EAAGsecret"):
        assert secret not in log


def test_a_hung_queue_still_answers_the_webhook_within_seconds(app, db, tmp_path):
    """Redis takes the connection and never answers: the event is stored and Meta gets its
    200 once the enqueue gives up (the sweeper processes the event later)."""
    from portal.models import WebhookEvent

    hole = BlackHole()
    stack = Stack(
        api_url="http://127.0.0.1:9/v23.0",
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
        redis_url=f"redis://127.0.0.1:{hole.port}/0",
        log_dir=tmp_path,
        SANDESH_INSTANCE_PATH=tmp_path,
        WEB_CONCURRENCY=1,
    )
    try:
        stack.web()
        body = b'{"object":"whatsapp_business_account","entry":[]}'
        headers = {"X-Hub-Signature-256": sign(body, APP_SECRET)}
        url = f"{stack.web_url}/webhooks/whatsapp"
        response, took = timed(lambda: httpx.post(url, content=body, headers=headers, timeout=30))
        print(f"webhook with a black-hole Redis: {response.status_code} in {took:.2f} s")
        assert response.status_code == 200 and took < 6
        db.session.rollback()
        assert db.session.query(WebhookEvent).count() == 1
    finally:
        stack.stop()
        hole.close()
        print(stack.logs())
