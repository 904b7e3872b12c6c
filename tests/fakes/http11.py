"""A small HTTP/1.1 server on asyncio streams: keep-alive, Content-Length bodies, nothing else.

Fast enough for thousands of requests a second from one thread, and able to hold or drop a
connection on purpose, which is what fault tests need.
"""

import asyncio
import json
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, doc) -> "Response":
        return cls(status, json.dumps(doc, separators=(",", ":")).encode())

    def encode(self, keep_alive: bool) -> bytes:
        reason = HTTPStatus(self.status).phrase
        lines = [f"HTTP/1.1 {self.status} {reason}", f"Content-Length: {len(self.body)}"]
        if self.body:
            lines.append(f"Content-Type: {self.content_type}")
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if not keep_alive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


# A handler answers a Response, or None to close the connection without answering.
Handler = Callable[[Request], Awaitable[Response | None]]


class Server:
    """Serves `handler` on host:port in the running event loop; `port` is known after start."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0):
        self.handler = handler
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()
        self.opened = 0  # connections accepted so far (keep-alive keeps this low)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_HEAD, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        self._connections.add(task)
        self.opened += 1
        try:
            while await self._one(reader, writer):
                pass
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
            ValueError,
        ):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _one(self, reader, writer) -> bool:
        """Read, answer and write one request; whether the connection stays open."""
        head = await reader.readuntil(b"\r\n\r\n")
        request, version = _parse_head(head)
        if request is None:
            writer.write(Response(400).encode(False))
            return False
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_BODY or "transfer-encoding" in request.headers:
            writer.write(Response(413 if length > MAX_BODY else 411).encode(False))
            return False
        request.body = await reader.readexactly(length) if length else b""
        try:
            response = await self.handler(request)
        except Exception:
            traceback.print_exc()
            response = Response.json(500, {"error": {"message": "fake server bug", "code": 1}})
        if response is None:
            return False
        keep = version == "HTTP/1.1" and request.headers.get("connection", "").lower() != "close"
        writer.write(response.encode(keep))
        await writer.drain()
        return keep


def _parse_head(head: bytes) -> tuple[Request | None, str]:
    try:
        line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, version = line.split(" ", 2)
    except ValueError:
        return None, ""
    headers = {}
    for header in header_lines:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    url = urlsplit(target)
    return Request(method, url.path, dict(parse_qsl(url.query)), headers, b""), version
