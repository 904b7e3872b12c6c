"""How fast a bare httpx.Client can POST sends to the fake Graph API (run as its own process).

The delivery benchmark compares against these figures: they are the ceiling any sender in this
machine reaches before Sandesh does any work of its own.

    .venv/bin/python bench/graph_fake_rate.py [--requests 3000] [--threads 1,8,32]
"""

import argparse
import json
import multiprocessing
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
NUMBER_ID = "106540352242922"
PAYLOAD = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+9779841234567",
    "type": "text",
    "text": {"preview_url": False, "body": "भोलि विद्यालय बन्द छ।"},
}


def start_fake() -> tuple[subprocess.Popen, str]:
    """The fake as a child process; its base URL (with the Graph version)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.graph_api", "--port", "0", "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the fake did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def sequential(url: str, count: int) -> float:
    """Requests per second from one thread on one keep-alive connection."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client() as http:
        http.post(url, json=PAYLOAD, headers=headers).raise_for_status()
        started = time.perf_counter()
        for _ in range(count):
            http.post(url, json=PAYLOAD, headers=headers).raise_for_status()
        return count / (time.perf_counter() - started)


def threaded(url: str, count: int, threads: int) -> float:
    """Requests per second from `threads` threads sharing one pooled client."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    each = max(1, count // threads)
    with httpx.Client(limits=limits) as http:

        def work():
            for _ in range(each):
                http.post(url, json=PAYLOAD, headers=headers).raise_for_status()

        workers = [threading.Thread(target=work) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return each * threads / (time.perf_counter() - started)


def processes(client, url: str, count: int, workers: int) -> float:
    """Requests per second from `workers` client processes at once (no shared GIL)."""
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.starmap(client, [(url, 10)] * workers)  # started and connected
        started = time.perf_counter()
        pool.starmap(client, [(url, count // workers)] * workers)
        return (count // workers) * workers / (time.perf_counter() - started)


def raw_socket(url: str, count: int) -> float:
    """Requests per second from a plain socket: the fake's own speed, without a client library."""
    parts = httpx.URL(url)
    body = json.dumps(PAYLOAD).encode()
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((parts.host, parts.port)) as sock:
        started = time.perf_counter()
        for _ in range(count):
            sock.sendall(request)
            _read_response(sock)
        return count / (time.perf_counter() - started)


def _read_response(sock: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        rest += sock.recv(65536)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", default="8,32", help="comma-separated thread counts")
    parser.add_argument("--processes", type=int, default=4, help="client processes (0: skip)")
    args = parser.parse_args()
    process, base = start_fake()
    url = f"{base}/{NUMBER_ID}/messages"
    try:
        print(f"fake graph api at {base} (separate process); {args.requests} POSTs per run")
        print(f"  raw socket, sequential     {raw_socket(url, args.requests):8.0f} requests/s")
        print(f"  httpx.Client, sequential   {sequential(url, args.requests):8.0f} requests/s")
        for threads in (int(n) for n in args.threads.split(",") if n):
            rate = threaded(url, args.requests, threads)
            print(f"  httpx.Client, {threads:3d} threads  {rate:8.0f} requests/s")
        if args.processes:
            rate = processes(sequential, url, args.requests, args.processes)
            print(f"  httpx.Client, {args.processes:3d} processes{rate:8.0f} requests/s")
            rate = processes(raw_socket, url, args.requests * 2, args.processes)
            print(f"  raw socket,   {args.processes:3d} processes{rate:8.0f} requests/s")
        stats = httpx.get(base.rsplit("/", 1)[0] + "/_fake/stats").json()
        print(f"  fake accepted {stats['accepted']} messages on {stats['connections']} connections")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
