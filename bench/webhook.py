"""Inbound webhook throughput and latency under the production web command.

    .venv/bin/python -m bench.webhook [--seconds 10] [--connections 8] [--rounds 1]

Runs the Procfile's `web:` line (gunicorn) on PostgreSQL + Redis with signed, Meta-shaped
inbound webhook POSTs (signature check over the raw bytes, store, commit, enqueue), then the
same gunicorn command serving a hello-world Flask endpoint, and prints requests per second
and p50 / p99 latency for both (measured with wrk, from Debian's `wrk` package), each of
`--rounds` times, with the median ratio. No worker runs: the queue only fills (a wake-up
at most every WEBHOOK_WAKE_SECONDS per process), so the figures are the request path alone.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg2
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-app-secret"
NUMBER = "109876543210"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_line(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name}: line in the Procfile")


def fresh_database(server: str, name: str) -> str:
    drop_database(server, name, then=f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_database(server: str, name: str, *, then: str | None = None) -> None:
    """Drop the bench's database on `server` (its connections closed), then run `then`."""
    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if then:
            cur.execute(then)
    conn.close()


def environment(database_url: str, redis_url: str, instance: str) -> dict:
    return os.environ | {
        "SANDESH_ENV": "production",
        "SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WHATSAPP_TRANSPORT": "cloud",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench",
        "SANDESH_INSTANCE_PATH": instance,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }


def prepare(env: dict) -> None:
    """Schema and one school whose number the webhooks name."""

    def run(*args, check=True):
        return subprocess.run(args, cwd=ROOT, env=env, check=check, capture_output=True)

    run("flask", "--app", "wsgi", "db", "upgrade")
    added = run(
        *("flask", "--app", "wsgi", "school", "add", "bench", "--name", "Bench School"),
        *("--phone-number-id", NUMBER),
        check=False,  # it exits 1 when Meta cannot be reached to check the token
    )
    if b"Added school bench" not in added.stdout:
        raise SystemExit(f"could not add the school: {added.stderr.decode()[-500:]}")


def webhook_body() -> bytes:
    """One inbound text message in Nepali, serialised as Meta does (non-ASCII escaped)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "9779800000000", "phone_number_id": NUMBER},
        "contacts": [{"profile": {"name": "अभिभावक"}, "wa_id": "9779841234567"}],
        "messages": [
            {
                "from": "9779841234567",
                "id": "wamid.bench",
                "timestamp": "1764000000",
                "type": "text",
                "text": {"body": "भोलि विद्यालय खुल्छ?"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def serve(app_path: str, env: dict, port: int) -> subprocess.Popen:
    command = procfile_line("web").replace("wsgi:app", app_path)
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env | {"BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit(f"{app_path} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def load(port: int, body: bytes, signature: str, seconds: int, connections: int) -> dict:
    """wrk's requests/s and latency percentiles for signed POSTs to the webhook URL."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body.decode())}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["X-Hub-Signature-256"] = "{signature}"\n'
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format("P50 %f\\nP99 %f\\nNON2XX %d\\n", '
            "latency:percentile(50), latency:percentile(99), summary.errors.status))\n"
            "end\n"
        )
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}/webhooks/whatsapp",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    number = lambda pattern: float(re.search(pattern, out).group(1))  # noqa: E731
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50": number(r"P50 ([\d.]+)") / 1e6,
        "p99": number(r"P99 ([\d.]+)") / 1e6,
        "non2xx": int(number(r"NON2XX (\d+)")),
    }


def stored_events(database_url: str) -> int:
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM webhook_events")
        count = cur.fetchone()[0]
    conn.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="hello-world, then the webhook")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
    )
    parser.add_argument(
        "--database", default=os.environ.get("BENCH_DATABASE", "sandesh_bench") + "_webhook"
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    sys.path.insert(0, str(ROOT))
    from portal.whatsapp.signature import sign

    database_url = fresh_database(args.postgres, args.database)
    env = environment(database_url, args.redis, tempfile.mkdtemp(prefix="sandesh-bench-"))
    import redis

    queue = redis.Redis.from_url(args.redis)
    queue.flushdb()
    try:
        prepare(env)
        body = webhook_body()
        signature = sign(body, SECRET)
        rounds = [measure_round(env, body, signature, args) for _ in range(args.rounds)]
        stored = stored_events(database_url)
    finally:  # the events it stored and the wake-ups it queued go with it
        drop_database(args.postgres, args.database)
        queue.flushdb()
    report(rounds, args, stored)


ENDPOINTS = (("hello-world Flask", "bench.hello:app"), ("Sandesh webhook", "wsgi:app"))


def measure_round(env: dict, body: bytes, signature: str, args) -> dict:
    """Both endpoints one after the other, each served afresh; their figures and the load."""
    results = {}
    for name, app_path in ENDPOINTS:
        port = free_port()
        process = serve(app_path, env, port)
        try:
            load(port, body, signature, 2, args.connections)  # warm up
            results[name] = load(port, body, signature, args.seconds, args.connections)
        finally:
            stop(process)
    return results | {"load": os.getloadavg()[0]}


def report(rounds: list[dict], args, stored: int) -> None:
    web = shlex.split(procfile_line("web"))[:2]
    print(
        f"machine: {os.cpu_count()} cores; web: {' '.join(web)} … "
        f"({os.environ.get('WEB_CONCURRENCY', '2')} workers); "
        f"wrk {args.connections} connections, {args.seconds} s; {len(rounds)} round(s)"
    )
    print(f"{'round':<6} {'endpoint':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    ratios, p99s = [], []
    for number, results in enumerate(rounds, 1):
        for name, _ in ENDPOINTS:
            r = results[name]
            print(
                f"{number:<6} {name:<20} {r['rps']:>8.0f} {r['p50'] * 1000:>8.1f} "
                f"{r['p99'] * 1000:>8.1f} {r['non2xx']:>8}"
            )
        ratios.append(results["Sandesh webhook"]["rps"] / results["hello-world Flask"]["rps"])
        p99s.append(results["Sandesh webhook"]["p99"] * 1000)
        print(
            f"{'':<6} webhook / hello-world {ratios[-1]:.2f} (load average {results['load']:.2f})"
        )
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    print(f"webhook rate / hello-world rate, median of {len(rounds)}: {ratio:.2f}")
    print(f"events stored: {stored} (every 200 is a stored event)")
    print(f"webhook p99, median: {p99:.1f} ms {'under' if p99 < 50 else 'OVER'} the 50 ms target")


if __name__ == "__main__":
    main()
