"""Keep-alive HTTP/1.1 connections for the Cloud API's message sends, from the standard
library's http.client, pooled per process and host.

A send is one small JSON POST and sending is most of what a sender does: http.client spends
about 0.1 ms of CPU on one against 0.24 for httpx's transport used bare (0.37 through an
`httpx.Client`), the difference being httpx's request and response models and h11's
parsing. Everything else (media, the management API, tests' mock transports) stays on httpx.

A POST is never sent twice here: an idle connection the server may have closed is checked
(and dropped) before it is used; once the request is written, any failure is the caller's
TransportError, exactly as with httpx.
"""

import http.client
import os
import select
import socket
import ssl
import threading
import time
from typing import NamedTuple
from urllib.parse import urlsplit

import certifi

from portal.whatsapp.errors import TransportError

MAX_IDLE = 128  # per host: as many as a deployment sends in parallel, and then some
IDLE_SECONDS = 60.0  # an idle connection older than this is closed, not reused


class Answer(NamedTuple):
    status: int
    body: bytes


class Target(NamedTuple):
    """Where a URL's requests go: (scheme, host, port) and the path with its query."""

    origin: tuple[str, str, int]
    path: str


def target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target((parts.scheme, parts.hostname, port), path)


class ConnectionPool:
    """Idle keep-alive connections by origin, most recently used first; thread-safe."""

    def __init__(self, *, max_idle: int = MAX_IDLE, idle_seconds: float = IDLE_SECONDS):
        self.max_idle, self.idle_seconds = max_idle, idle_seconds
        self._idle: dict[tuple, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self.opened = 0  # connections made, for tests and benchmarks

    def post(
        self, where: Target, *, headers: dict, body: bytes, connect: float, read: float
    ) -> Answer:
        """POST `body` and read the whole answer; TransportError when the server could not
        be reached, did not answer within the timeouts or broke the connection."""
        connection = self._take(where.origin)
        try:
            if connection is None:
                connection = self._open(where.origin, connect=connect, read=read)
            else:  # kept by a send that may have had other limits
                connection.sock.settimeout(read)
            connection.request("POST", where.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.read())
        except TimeoutError as exc:  # socket.timeout
            _close(connection)
            raise TransportError(f"timed out: {exc!r}") from exc
        except (OSError, http.client.HTTPException) as exc:
            _close(connection)
            raise TransportError(f"connection failed: {exc!r}") from exc
        if response.will_close:
            connection.close()
        else:
            self._give_back(where.origin, connection)
        return answer

    def _open(self, origin: tuple, *, connect: float, read: float) -> http.client.HTTPConnection:
        scheme, host, port = origin
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=connect, context=self._tls_context()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=connect)
        connection.connect()
        connection.sock.settimeout(read)  # connecting had its own, shorter limit
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened += 1
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        """Certificates checked against certifi's authorities, as httpx does."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=certifi.where())
        return self._tls

    def _take(self, origin: tuple) -> http.client.HTTPConnection | None:
        """An idle connection still fit to carry a request, if there is one."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection, since = idle.pop()
            if now - since < self.idle_seconds and not _dropped(connection):
                return connection
            connection.close()

    def _give_back(self, origin: tuple, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self.max_idle:
                idle.append((connection, time.monotonic()))
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection, _since in connections:
                connection.close()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection was closed by the server (or has bytes no one asked for):
    its socket is readable while no request is outstanding."""
    sock = connection.sock
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _close(connection: http.client.HTTPConnection | None) -> None:
    if connection is not None:
        connection.close()


_pools: dict[int, ConnectionPool] = {}
_pools_lock = threading.Lock()


def shared_pool() -> ConnectionPool:
    """This process's pool (made per process id: a forked worker never shares its parent's
    sockets)."""
    pid = os.getpid()
    with _pools_lock:
        if pid not in _pools:
            _pools[pid] = ConnectionPool()
        return _pools[pid]
