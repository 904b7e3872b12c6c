"""The floor under `top+statuses` on this machine: the same traffic with Sandesh's own work
taken away, so the CPU that is left for Sandesh can be read beside what it uses.

    .venv/bin/python -m bench.floor [--client plain|httpx] [--threads 8] [--rounds 2]

A bare client (`--threads` threads in this process: "plain", the default, is the keep-alive
http.client pool Sandesh's senders use; "httpx" a pooled httpx.Client, bench/fanout.py's
baseline) POSTs `--messages` text messages, each to another number, to the fake Graph API in
its own process (no rate limit): first without statuses ("bare"), then with the fake posting
every message's sent, delivered and read statuses, signed and batched as in bench/fanout.py,
to the Procfile's `web` line serving bench/webhook.py's hello-world endpoint (gunicorn, no
database: "bare+statuses"). It prints the rate, the seconds to the last status answered and
the CPU milliseconds per message of the client, the fake and the web processes (from /proc),
beside what a machine of this many cores has for 20,000 messages in 21 s (2 cores: 2 x 21 /
20,000 = 2.1 ms a message) and at 0.6 and 0.8 of the bare rate. Medians over the rounds.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import machine, process_cpu  # noqa: E402
from bench.graph_fake_rate import PAYLOAD, TOKEN  # noqa: E402
from bench.webhook import free_port, serve, stop  # noqa: E402
from portal.whatsapp import connections  # noqa: E402
from tests.faults.stack import APP_SECRET, PHONE_NUMBER_ID, FakeProcess  # noqa: E402

TARGET_SECONDS, TARGET_MESSAGES = 21, 20_000


def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in a process group (gunicorn's master and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    total += process_cpu(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return total


def send_all(url: str, count: int, threads: int, client: str) -> float:
    """POST `count` messages from `threads` threads; the seconds it took. `client`: "plain"
    is the keep-alive http.client pool Sandesh's senders use (portal/whatsapp/connections.py),
    "httpx" a pooled httpx.Client (bench/fanout.py's baseline)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    numbers = iter(range(count))
    lock = threading.Lock()
    if client == "plain":
        pool, where = connections.ConnectionPool(), connections.target(url)

        def post(payload):
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            answer = pool.post(where, headers=headers, body=body, connect=5, read=10)
            assert answer.status == 200, answer

        close = pool.close
    else:
        limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
        http = httpx.Client(limits=limits)

        def post(payload):
            http.post(url, json=payload, headers=headers).raise_for_status()

        close = http.close

    def work():
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            post(PAYLOAD | {"to": f"+97798{n:08d}"})

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started
    finally:
        close()


def one_round(fake: FakeProcess, web_pgid: int, count: int, args, statuses: list) -> dict:
    """`count` messages sent, and every status answered when statuses are on; the figures."""
    fake.reset()
    fake.configure(  # as bench/fanout.py's scenarios, without the rate limit
        rate_limit=False,
        webhook_statuses=statuses,
        webhook_batch=100,
        webhook_concurrency=2,
    )
    url = f"{fake.url}/{PHONE_NUMBER_ID}/messages"
    before = {"client": time.process_time(), "fake": process_cpu(fake.process.pid)}
    before["web"] = group_cpu(web_pgid)
    started = time.perf_counter()
    sent = send_all(url, count, args.threads, args.client)
    deadline = time.monotonic() + 120
    while True:
        hooks = fake.stats()["webhooks"]
        if hooks["statuses"] >= len(statuses) * count and not hooks["pending"]:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"statuses still pending: {hooks}")
        time.sleep(0.05)
    settled = time.perf_counter() - started
    used = {
        "client": time.process_time() - before["client"],
        "fake": process_cpu(fake.process.pid) - before["fake"],
        "web": group_cpu(web_pgid) - before["web"],
    }
    ms = {part: seconds * 1000 / count for part, seconds in used.items()}
    return {"rate": count / sent, "sent": sent, "settled": settled, "ms": ms, "hooks": hooks}


VARIANTS = {"bare": [], "bare+statuses": ["sent", "delivered", "read"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=TARGET_MESSAGES)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=("plain", "httpx"), default="plain")
    args = parser.parse_args()
    print(f"machine: {machine()}; client {args.client}, {args.threads} threads")
    logs = Path(tempfile.mkdtemp(prefix="sandesh-floor-"))
    port = free_port()
    web = serve(
        "bench.hello:app",
        os.environ | {"PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"},
        port,
    )
    fake = FakeProcess(
        logs,
        token=TOKEN,
        app_secret=APP_SECRET,
        webhook_url=f"http://127.0.0.1:{port}/webhooks/whatsapp",
    )
    results = {name: [] for name in VARIANTS}
    try:
        for number in range(1, args.rounds + 1):
            for name, statuses in VARIANTS.items():
                r = one_round(fake, web.pid, args.messages, args, statuses)
                results[name].append(r)
                parts = ", ".join(f"{k} {v:.2f}" for k, v in r["ms"].items())
                hooks = r["hooks"]
                answered = (
                    f", every status answered at {r['settled']:.1f} s"
                    f" ({hooks['statuses'] / max(1, hooks['posts']):.1f} a webhook)"
                    if statuses
                    else ""
                )
                print(
                    f"round {number}, {name}: {args.messages:,} sent in {r['sent']:.1f} s"
                    f" ({r['rate']:.0f} msg/s){answered}; CPU ms per message: {parts}"
                    f" (total {sum(r['ms'].values()):.2f})"
                )
    finally:
        fake.stop()
        stop(web)
    summary(results, args.rounds, args.client)


def summary(results: dict[str, list[dict]], rounds: int, client: str) -> None:
    cores = os.cpu_count()
    median = {
        name: {
            "rate": statistics.median(r["rate"] for r in runs),
            "sent": statistics.median(r["sent"] for r in runs),
            "ms": {k: statistics.median(r["ms"][k] for r in runs) for k in runs[0]["ms"]},
        }
        for name, runs in results.items()
    }
    for name, m in median.items():
        parts = ", ".join(f"{k} {v:.2f}" for k, v in m["ms"].items())
        print(
            f"median of {rounds}, {name}: {m['rate']:.0f} msg/s; CPU ms per message {parts};"
            f" total {sum(m['ms'].values()):.2f}"
        )
    floor = sum(median["bare+statuses"]["ms"].values())
    budget = cores * TARGET_SECONDS * 1000 / TARGET_MESSAGES
    print(
        f"top+statuses ({TARGET_MESSAGES:,} in {TARGET_SECONDS} s): {cores} cores have"
        f" {budget:.2f} ms a message; the bare parts use {floor:.2f} (and take"
        f" {median['bare+statuses']['sent']:.1f} s unthrottled), leaving"
        f" {budget - floor:.2f} for all of Sandesh's own work, PostgreSQL included"
    )
    bare = median["bare"]["rate"]
    for share in (0.6, 0.8):
        at = share * bare
        print(
            f"unthrottled+statuses at {share} of this bare {client} client ({at:.0f} msg/s):"
            f" {cores} cores"
            f" have {cores * 1000 / at:.2f} ms a message; the bare parts with statuses use"
            f" {floor:.2f}, leaving {cores * 1000 / at - floor:.2f} for Sandesh's own work"
        )
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
