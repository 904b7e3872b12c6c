"""The plain keep-alive connections message sends go through: reused while alive, never
used once the server has closed them, and never a request sent twice."""

import socket
import threading
import time

import httpx
import pytest

from portal.whatsapp.client import CloudClient
from portal.whatsapp.connections import ConnectionPool, shared_pool, target
from portal.whatsapp.errors import TransportError
from tests.whatsapp.conftest import TOKEN

NUMBER_ID = "106540352242922"


def send(cloud, body="नमस्ते"):
    return cloud.send_text(phone_number_id=NUMBER_ID, token=TOKEN, to="9779841234567", body=body)


class OneShotServer:
    """Answers each request on a connection, then (when told) closes the connection
    while it sits idle, as a server's keep-alive timeout does; counts requests."""

    def __init__(self, *, close_idle_after: float | None = None, close_header: bool = False):
        self.close_idle_after, self.close_header = close_idle_after, close_header
        self.requests, self.connections = 0, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v26.0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        reader = conn.makefile("rb")
        with conn, reader:
            while True:
                conn.settimeout(self.close_idle_after)
                try:
                    head = b"".join(iter(reader.readline, b"\r\n"))
                except TimeoutError:
                    return  # idle too long: close, as Meta's side would
                if not head:
                    return
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                reader.read(length)
                self.requests += 1
                body = b'{"messages":[{"id":"wamid.%d"}]}' % self.requests
                extra = b"Connection: close\r\n" if self.close_header else b""
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + extra
                    + b"Content-Length: %d\r\n\r\n" % len(body)
                    + body
                )
                if self.close_header:
                    return

    def close(self):
        self.listener.close()


@pytest.fixture
def server():
    made = []

    def make(**options):
        made.append(OneShotServer(**options))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def pool():
    """A connection pool of the test's own, closed afterwards."""
    made = ConnectionPool()
    yield made
    made.close()


@pytest.fixture
def short_lived():
    made = ConnectionPool(idle_seconds=0.1)
    yield made
    made.close()


def test_sends_reuse_one_keep_alive_connection(server, pool):
    meta = server()
    cloud = CloudClient(meta.url)
    cloud.plain = pool
    assert [send(cloud) for _ in range(5)] == [f"wamid.{n}" for n in range(1, 6)]
    assert (meta.requests, meta.connections, cloud.plain.opened) == (5, 1, 1)


def test_a_connection_the_server_closed_while_idle_is_not_used_and_nothing_goes_twice(server, pool):
    meta = server(close_idle_after=0.2)
    cloud = CloudClient(meta.url)
    cloud.plain = pool
    assert send(cloud) == "wamid.1"
    time.sleep(0.5)  # the server has closed its end meanwhile
    assert send(cloud) == "wamid.2"
    assert (meta.requests, meta.connections) == (2, 2)


def test_an_answer_saying_connection_close_is_not_kept(server, pool):
    meta = server(close_header=True)
    cloud = CloudClient(meta.url)
    cloud.plain = pool
    assert [send(cloud), send(cloud)] == ["wamid.1", "wamid.2"]
    assert (meta.requests, meta.connections) == (2, 2)


def test_an_idle_connection_older_than_its_limit_is_closed_not_reused(server, short_lived):
    meta = server()
    cloud = CloudClient(meta.url)
    cloud.plain = short_lived
    send(cloud)
    time.sleep(0.2)
    send(cloud)
    assert (meta.requests, meta.connections) == (2, 2)


def test_a_connection_broken_mid_answer_is_a_transport_error_and_dropped(graph_api, pool):
    cloud = CloudClient(graph_api.url)
    cloud.plain = pool
    send(cloud)
    graph_api.configure(timeout_rate=1.0, timeout_mode="drop")
    with pytest.raises(TransportError, match="connection failed"):
        send(cloud)
    graph_api.configure(timeout_rate=0.0)
    assert send(cloud).startswith("wamid.")
    assert cloud.plain.opened == 2
    assert graph_api.stats()["requests"] == 3


def test_a_kept_connection_waits_only_as_long_as_this_send_allows(graph_api, pool):
    patient = CloudClient(graph_api.url, timeout=httpx.Timeout(10))
    patient.plain = pool
    send(patient)
    graph_api.configure(timeout_rate=1.0, hold_seconds=5)
    hasty = CloudClient(graph_api.url, timeout=httpx.Timeout(0.3))
    hasty.plain = pool
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out"):
        send(hasty)
    assert time.monotonic() - started < 2 and pool.opened == 1


def test_one_pool_per_process_shared_by_every_client():
    assert shared_pool() is shared_pool()
    assert CloudClient("https://graph.example/v26.0").plain is shared_pool()


def test_targets_keep_the_path_and_query_and_refuse_other_schemes():
    where = target("https://graph.facebook.com/v26.0/1/messages?x=1")
    assert where.origin == ("https", "graph.facebook.com", 443)
    assert where.path == "/v26.0/1/messages?x=1"
    assert target("http://127.0.0.1:8080").path == "/"
    with pytest.raises(ValueError, match="http"):
        target("ftp://graph.example/")
