"""The fake Graph API itself: what other tests and the benchmarks rely on it to do."""

import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from portal.whatsapp.client import CloudClient
from portal.whatsapp.errors import GraphError
from portal.whatsapp.payloads import StatusUpdate, parse
from portal.whatsapp.signature import verify
from tests.fakes.status_webhooks import Poster
from tests.whatsapp.conftest import APP_SECRET, TOKEN, Receiver

NUMBER_ID = "106540352242922"
PARENTS = [f"+97798{n:08d}" for n in range(20)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cloud(graph_api, pool):
    return CloudClient(graph_api.url, transport=pool)


def text(cloud, to=PARENTS[0], **kwargs):
    return cloud.send_text(phone_number_id=NUMBER_ID, token=TOKEN, to=to, body="hi", **kwargs)


def template(cloud, to=PARENTS[0]):
    return cloud.send_template(
        phone_number_id=NUMBER_ID, token=TOKEN, to=to, name="n", language="en", params={"a": "b"}
    )


def statuses_received(receiver):
    """Every status the receiver got, after checking each POST's signature over its raw bytes."""
    found = []
    for body, header in receiver.posts:
        assert verify(body, header, APP_SECRET)
        items = list(parse(body))
        assert all(isinstance(item, StatusUpdate) for item in items)
        found += items
    return found


def with_webhooks(graph_api, receiver, **settings):
    graph_api.configure(webhook_url=receiver.url, app_secret=APP_SECRET, **settings)


def test_signed_sent_delivered_read_webhooks_echo_the_callback_data(cloud, graph_api, receiver):
    with_webhooks(graph_api, receiver)
    wamid = text(cloud, callback_data="delivery:42")
    assert graph_api.webhooks.wait_idle(5)
    received = statuses_received(receiver)
    assert [(s.wamid, s.status) for s in received] == [
        (wamid, "sent"),
        (wamid, "delivered"),
        (wamid, "read"),
    ]
    assert {(s.callback_data, s.recipient_id, s.phone_number_id) for s in received} == {
        ("delivery:42", PARENTS[0].lstrip("+"), NUMBER_ID)
    }
    assert graph_api.stats()["webhooks"]["posts"] == 3


def test_statuses_can_be_batched(cloud, graph_api, receiver):
    with_webhooks(graph_api, receiver, webhook_batch=100, webhook_delay=0.2)
    wamids = {text(cloud, to=parent) for parent in PARENTS}
    assert graph_api.webhooks.wait_idle(10)
    received = statuses_received(receiver)
    assert len(received) == 60 and {s.wamid for s in received} == wamids
    assert len(receiver.posts) < 60


def test_statuses_can_be_duplicated(cloud, graph_api, receiver):
    with_webhooks(graph_api, receiver, webhook_duplicate_rate=1.0)
    text(cloud)
    assert graph_api.webhooks.wait_idle(5)
    received = statuses_received(receiver)
    assert Counter(s.status for s in received) == {"sent": 2, "delivered": 2, "read": 2}
    assert len({s.wamid for s in received}) == 1


def test_statuses_can_arrive_out_of_order(cloud, graph_api, receiver):
    with_webhooks(graph_api, receiver, webhook_reorder_rate=1.0, webhook_statuses=["sent", "read"])
    text(cloud)
    assert graph_api.webhooks.wait_idle(5)
    assert [s.status for s in statuses_received(receiver)] == ["read", "sent"]


def test_webhooks_are_retried_until_the_app_answers_200(cloud, graph_api):
    with Receiver(answers=[500, 503, 401]) as receiver:
        with_webhooks(graph_api, receiver, webhook_statuses=["sent"], webhook_retry_seconds=0.02)
        wamid = text(cloud)
        assert graph_api.webhooks.wait_idle(5)
        [status] = statuses_received(receiver)
    assert status.wamid == wamid
    assert graph_api.stats()["webhooks"] | {"pending": 0} == {
        "posts": 1,
        "statuses": 1,
        "failed_attempts": 3,
        "given_up": 0,
        "pending": 0,
    }


def test_a_recipient_can_fail_later_by_status_webhook(cloud, graph_api, receiver):
    with_webhooks(graph_api, receiver, recipient_failures={PARENTS[1]: 131026})
    wamid = template(cloud, to=PARENTS[1])
    assert graph_api.webhooks.wait_idle(5)
    [status] = statuses_received(receiver)
    assert (status.wamid, status.status, status.errors[0].code) == (wamid, "failed", 131026)


def test_outside_the_window_only_free_form_text_fails(cloud, graph_api):
    graph_api.configure(recipient_errors={PARENTS[2]: 131047})
    with pytest.raises(GraphError) as caught:
        text(cloud, to=PARENTS[2])
    assert caught.value.code == 131047
    assert template(cloud, to=PARENTS[2])
    assert text(cloud, to=PARENTS[3])
    assert graph_api.counts() == {PARENTS[2].lstrip("+"): 1, PARENTS[3].lstrip("+"): 1}


def test_the_per_number_rate_limit_answers_130429(cloud, graph_api):
    graph_api.configure(rate_limit=True, rate_limit_mps=5)
    codes = []
    for _ in range(12):
        try:
            text(cloud)
            codes.append(None)
        except GraphError as error:
            codes.append(error.code)
    assert codes[:5] == [None] * 5
    assert 130429 in codes
    assert cloud.send_text(phone_number_id="another-number", token=TOKEN, to=PARENTS[0], body="x")
    assert graph_api.stats()["errors"]["130429"] == codes.count(130429)


def test_keep_alive_serves_many_requests_on_one_connection(cloud, graph_api):
    for parent in PARENTS:
        text(cloud, to=parent)
    stats = graph_api.stats()
    assert (stats["accepted"], stats["recipients"], stats["connections"]) == (20, 20, 1)


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({"to": "+977", "type": "text", "text": {"body": "x"}}, "messaging_product"),
        (
            {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
            "to is required",
        ),
        ({"messaging_product": "whatsapp", "to": "+977", "type": "text"}, "text.body"),
        (
            {
                "messaging_product": "whatsapp",
                "to": "+977",
                "type": "template",
                "template": {"name": "n"},
            },
            "language.code",
        ),
        (
            {
                "messaging_product": "whatsapp",
                "to": "+977",
                "type": "template",
                "template": {
                    "name": "n",
                    "language": {"code": "ne"},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": "a\nb"}]}
                    ],
                },
            },
            "new-line",
        ),
        ({"messaging_product": "whatsapp", "to": "+977", "type": "sticker"}, "not supported"),
    ],
)
def test_malformed_sends_get_error_100(graph_api, http, payload, details):
    response = http.post(
        f"{graph_api.url}/{NUMBER_ID}/messages",
        json=payload,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, 100)
    assert details in error["error_data"]["details"]
    assert graph_api.messages() == []


def test_control_endpoints_over_http(cloud, graph_api, http):
    base = graph_api.base_url
    config = http.post(f"{base}/_fake/config", json={"recipient_errors": {PARENTS[4]: 131026}})
    assert config.json()["recipient_errors"] == {PARENTS[4].lstrip("+"): 131026}
    assert http.post(f"{base}/_fake/config", json={"no_such_switch": 1}).status_code == 400
    text(cloud, to=PARENTS[5])
    text(cloud, to=PARENTS[5])
    with pytest.raises(GraphError):
        text(cloud, to=PARENTS[4])
    page = http.get(f"{base}/_fake/messages", params={"to": PARENTS[5], "limit": 1}).json()
    assert page["total"] == 2 and len(page["messages"]) == 1
    assert page["messages"][0]["to"] == PARENTS[5]
    stats = http.get(f"{base}/_fake/stats").json()
    assert (stats["requests"], stats["accepted"], stats["errors"]) == (3, 2, {"131026": 1})
    assert http.post(f"{base}/_fake/reset").json() == {"ok": True}
    assert http.get(f"{base}/_fake/stats").json()["accepted"] == 0
    assert http.get(f"{base}/_fake/config").json()["recipient_errors"] == {}


def test_the_fake_runs_as_its_own_process():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.graph_api", "--port", "0", "--token", "T"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("fake graph api listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        with httpx.Client() as http:
            wamid = CloudClient(url).send_text(
                phone_number_id=NUMBER_ID, token="T", to=PARENTS[0], body="hi"
            )
            messages = http.get(url.rsplit("/", 1)[0] + "/_fake/messages").json()["messages"]
        assert [m["wamid"] for m in messages] == [wamid]
    finally:
        process.terminate()
        assert process.wait(10) == 0
        process.stdout.close()


def test_reply_buttons_quick_replies_and_bsuid_recipients_are_recorded_as_sent(cloud, graph_api):
    buttons = [{"id": "yes:7", "title": "YES"}, {"id": "no:7", "title": "NO"}]
    cloud.send_interactive(
        phone_number_id=NUMBER_ID, token=TOKEN, to=PARENTS[0], body="Send #7?", buttons=buttons
    )
    cloud.send_template(
        phone_number_id=NUMBER_ID,
        token=TOKEN,
        to="NP.1502576394655843",
        name="sandesh_notice",
        language="en",
        params={"message": "Closed tomorrow."},
        quick_replies=["seen:41"],
    )
    tapped, template = graph_api.messages()
    assert (tapped["type"], tapped["body"], tapped["buttons"]) == (
        "interactive",
        "Send #7?",
        buttons,
    )
    assert template["recipient"] == "NP.1502576394655843"  # a BSUID stays as it is
    assert (template["params"], template["quick_replies"]) == (
        {"message": "Closed tomorrow."},
        ["seen:41"],
    )


def test_malformed_reply_buttons_get_error_100(graph_api, http):
    payload = {
        "messaging_product": "whatsapp",
        "to": PARENTS[0],
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Hi"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}] * 2},
        },
    }
    answer = http.post(
        f"{graph_api.url}/{NUMBER_ID}/messages",
        json=payload,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    assert graph_api.messages() == []


def test_templates_over_the_portfolios_limit_are_counted_and_numbers_share_it(cloud, graph_api):
    """Meta's messaging-limits page: the limit is the portfolio's, shared by its numbers."""
    graph_api.configure(messaging_tier="TIER_250", portfolios={NUMBER_ID: "p", "2": "p"})
    for n, parent in enumerate([f"+97797{n:08d}" for n in range(251)]):
        cloud.send_template(
            phone_number_id=NUMBER_ID if n % 2 else "2",
            token=TOKEN,
            to=parent,
            name="sandesh_notice",
            language="en",
            params={"message": "hi"},
        )
    stats = graph_api.accounts.stats()
    assert stats["reached"] == {"p": 251} and stats["over_limit"] == 1


class KeptAlive:
    """An HTTP/1.1 endpoint counting connections and requests; `drop_idle` closes each
    connection after its answer without saying so (as a server's idle timeout does)."""

    def __init__(self, drop_idle: bool):
        self.connections, self.requests = 0, 0
        counter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                counter.connections += 1

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                counter.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = drop_idle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False  # closing the server waits for its connections
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/whatsapp"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("drop_idle", [False, True])
def test_webhooks_are_posted_on_a_kept_connection_and_a_dropped_one_is_replaced(drop_idle):
    endpoint, poster = KeptAlive(drop_idle), Poster()
    try:
        for _ in range(3):
            assert poster.post(endpoint.url, b"{}", {"Content-Type": "application/json"}) == 200
            time.sleep(0.05)  # the dropped connection is closed before the next post
    finally:
        poster.close()
        endpoint.close()
    assert endpoint.requests == 3
    assert endpoint.connections == (3 if drop_idle else 1)
