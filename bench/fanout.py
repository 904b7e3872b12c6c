"""Broadcast fan-out and sending speed on the production stack: PostgreSQL + Redis, the
Procfile's web, worker and worker_extra processes, the fake Graph API in its own process.

    .venv/bin/python -m bench.fanout [--scenarios paced,unthrottled,...] [--extra 1] [--rounds 3]

Scenarios (2,000 guardians unless said):
- `paced`: the default 80 msg/s, the fake enforcing the same limit (130429 above it);
  beside the physical minimum 2,000/80 = 25 s.
- `unthrottled`: the limit lifted: deliveries per second beside a bare httpx client's POST
  rate against the same fake, measured just before and just after each of `--rounds` runs
  (this machine's speed drifts from minute to minute); the median ratio is printed.
- `...+statuses`: the same while the fake posts each message's signed sent, delivered and
  read statuses back to the web process (batched, as Meta does under load), which the same
  consumers then process.
- `large`: 20,000 guardians, the limit lifted: total time, the fan-out (the start task that
  creates the deliveries) and the consumers' peak resident memory, sampled every 0.2 s.
- `top`, `top+statuses`: 20,000 guardians at the top tier's 1,000 msg/s (the fake enforcing
  it); with statuses, every message's sent, delivered and read posted back batched; beside
  20,000/1,000 = 20 s.

Each scenario gets a fresh database (`sandesh_bench`, dropped at the end), an empty Redis
database (8 unless BENCH_REDIS_URL says otherwise) and fresh processes. Times run from
enqueueing the broadcast's start to the moment the fake accepted the last message. Each
run also prints the CPU time per message of the consumers, web, the fake, PostgreSQL and
Redis, read from /proc.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("BENCH_DATABASE", "sandesh_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
UNLIMITED = 100_000  # msg/s: "the limit lifted"

# The app, imported below, reads these when it loads: a real queue, this run's database.
os.environ.update(
    SANDESH_ENV="development",
    DATABASE_URL=f"{PG_SERVER}/{PG_DATABASE}",
    REDIS_URL=REDIS_URL,
    SANDESH_INSTANCE_PATH=tempfile.mkdtemp(prefix="sandesh-bench-"),
)

import psycopg2  # noqa: E402
import redis  # noqa: E402

from bench.graph_fake_rate import TOKEN, sequential, threaded  # noqa: E402
from tests.faults.stack import APP_SECRET, PHONE_NUMBER_ID, FakeProcess, Process, Stack  # noqa: E402


def fresh_database() -> None:
    """Drop and make the bench database; empty the Redis database."""
    from bench.webhook import fresh_database as make_database

    make_database(PG_SERVER, PG_DATABASE)
    redis.Redis.from_url(REDIS_URL).flushdb()


def drop_database() -> None:
    from bench.webhook import drop_database as drop

    drop(PG_SERVER, PG_DATABASE)


class MemoryWatch:
    """Samples the consumers' resident memory (sum over processes) every 0.2 s; keeps the peak."""

    def __init__(self, processes: list[Process]):
        self.processes, self.peak_kib = processes, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = sum(p.rss_kib() for p in self.processes if p.running())
            self.peak_kib = max(self.peak_kib, total)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (PostgreSQL's backends, Redis)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


class CpuMeter:
    """CPU seconds each part of the machine spends between `start()` and `stop()`: the
    consumers, the web process, the fake Graph API, PostgreSQL and Redis."""

    def __init__(self, *, workers: list[Process], web: Process, fake_pid: int):
        self.parts = {
            "consumers": lambda: sum(w.cpu_seconds() for w in workers),
            "web": web.cpu_seconds,
            "fake": lambda: process_cpu(fake_pid),
            "postgres": lambda: sum(map(process_cpu, pids_named("postgres"))),
            "redis": lambda: sum(map(process_cpu, pids_named("redis-server"))),
        }

    def start(self) -> None:
        self.before = {name: read() for name, read in self.parts.items()}
        self.wall = time.monotonic()

    def stop(self) -> dict:
        """Seconds of CPU per part, and the wall-clock seconds measured."""
        used = {name: read() - self.before[name] for name, read in self.parts.items()}
        return used | {"wall": time.monotonic() - self.wall}


def seed_and_broadcast(app, guardians: int):
    """The school and its roster (one commit), then a notice to everyone; the broadcast."""
    import datetime

    from portal.extensions import db
    from tests.faults.seed import notice_to_everyone, seed_school

    with app.app_context():
        school = seed_school(guardians=guardians, phone_number_id=PHONE_NUMBER_ID)
        school.quiet_start = school.quiet_end = datetime.time(0, 0)
        db.session.commit()
        broadcast = notice_to_everyone(
            school,
            body_en="School is closed tomorrow for Tihar.",
            body_ne="तिहारका लागि भोलि विद्यालय बन्द छ।",
        )
        db.session.commit()
        return broadcast.id


def wait_settled(app, broadcast_id: int, timeout: float) -> dict:
    """Poll until the broadcast completes; its delivery counts."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Broadcast
    from portal.services.broadcasting import delivery_counts

    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.rollback()
            status = db.session.scalar(
                sa.select(Broadcast.status).where(Broadcast.id == broadcast_id)
            )
            if status == "completed":
                return delivery_counts.of_broadcast(broadcast_id)
            time.sleep(0.2)
    raise SystemExit(f"broadcast {broadcast_id} did not complete in {timeout} s")


def run_scenario(
    name: str,
    *,
    guardians: int,
    rate: float,
    extra: int,
    statuses: list,
    fake: FakeProcess,
    logs: Path,
):
    """One broadcast on a fresh database with fresh processes; its figures."""
    fresh_database()
    fake.reset()
    fake.configure(
        rate_limit=rate < UNLIMITED,
        rate_limit_mps=rate,
        app_secret=APP_SECRET,
        webhook_statuses=statuses,
        webhook_batch=100,
        webhook_concurrency=2,
    )
    stack = Stack(
        api_url=fake.url,
        database_url=os.environ["DATABASE_URL"],
        redis_url=REDIS_URL,
        log_dir=logs,
        SANDESH_INSTANCE_PATH=os.environ["SANDESH_INSTANCE_PATH"],
        WHATSAPP_RATE_MPS=rate,
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        SEND_CONCURRENCY=senders(extra),
    )
    subprocess.run(  # the Procfile's release line: migrations
        ["bash", "-c", "exec " + _procfile("release")],
        cwd=ROOT,
        env=stack.env(),
        check=True,
        capture_output=True,
    )
    try:
        web = stack.web()
        fake.configure(webhook_url=f"{stack.web_url}/webhooks/whatsapp")
        workers = [stack.worker()] + [stack.worker("worker_extra") for _ in range(extra)]
        meter = CpuMeter(workers=workers, web=web, fake_pid=fake.process.pid)
        figures = _send(name, guardians=guardians, fake=fake, meter=meter, workers=workers)
        applied = _statuses_applied(expected=guardians * len(statuses), timeout=60)
        if applied:  # how Meta's batching (the fake's) came out: statuses per webhook
            applied["posts"] = fake.stats()["webhooks"]["posts"]
        return figures | {"rate": rate, "statuses": applied}
    finally:
        stack.stop()


def _send(name, *, guardians, fake, meter, workers) -> dict:
    from portal import create_app
    from portal.extensions import db
    from portal.models import Broadcast
    from portal.tasks.delivery import enqueue_start

    app = create_app()
    broadcast_id = seed_and_broadcast(app, guardians)
    meter.start()
    with MemoryWatch(workers) as memory:
        with app.app_context():
            broadcast = db.session.get(Broadcast, broadcast_id)
            started = time.time()
            enqueue_start(broadcast)
        counts = wait_settled(app, broadcast_id, timeout=max(120, guardians / 20))
    cpu = meter.stop()
    times = sorted(m["at"] for m in fake.messages())
    stats = fake.stats()
    fan_out = next(filter(None, (_task_seconds(w, "start_broadcast") for w in workers)), None)
    return {
        "name": name,
        "guardians": guardians,
        "accepted": len(times),
        "seconds": times[-1] - started,
        "started": started,
        "steady_rate": (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0,
        "fan_out": fan_out,
        "peak_rss_mib": memory.peak_kib / 1024,
        "counts": counts,
        "refused_130429": stats["errors"].get("130429", 0),
        "max_per_recipient": stats["max_per_recipient"],
        "consumers": len(workers),
        "cpu_ms_per_message": {
            part: seconds * 1000 / max(1, len(times)) for part, seconds in cpu.items()
        },
    }


def _statuses_applied(*, expected: int, timeout: float) -> dict | None:
    """Wait for every status to be applied to its delivery: how many were, and when the
    last was (seconds after the broadcast's start was enqueued); None without statuses."""
    if not expected:
        return None
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    conn.autocommit = True
    deadline = time.monotonic() + timeout
    with conn.cursor() as cur:
        while True:
            cur.execute(
                "SELECT count(*), extract(epoch FROM max(applied_at)) FROM status_events"
                " WHERE applied_at IS NOT NULL"
            )
            applied, last = cur.fetchone()
            if applied >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    conn.close()
    return {"applied": applied, "expected": expected, "last_at": float(last or 0)}


def senders(extra: int) -> int:
    """Sender tasks per broadcast: every consumer thread (4 each by default) but one per
    consumer, kept for stored webhook events and the schedule, as a deployment keeps them."""
    consumers = 1 + extra
    threads = int(os.environ.get("WORKER_THREADS", 4)) * consumers
    return int(os.environ.get("SEND_CONCURRENCY", max(1, threads - consumers)))


def _task_seconds(process: Process, task: str) -> float | None:
    """How long a task took, from the consumer's log ("... executed in 1.234s")."""
    found = re.findall(rf"{task}: \S+(?: p=\S+)? executed in ([0-9.]+)s", process.output())
    return float(found[0]) if found else None


def _procfile(name: str) -> str:
    from tests.faults.stack import procfile_command

    return procfile_command(name)


def bare_httpx(fake: FakeProcess, count: int = 2000) -> dict:
    """A bare httpx.Client POSTing sends to the same fake: one thread, and eight threads."""
    fake.reset()
    fake.configure(rate_limit=False, webhook_url=None)
    url = f"{fake.url}/{PHONE_NUMBER_ID}/messages"
    return {"sequential": sequential(url, count), "8 threads": threaded(url, count, 8)}


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs (nproc), load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenarios", default="paced,paced+statuses,unthrottled,unthrottled+statuses,large"
    )
    parser.add_argument("--extra", type=int, default=1, help="worker_extra consumers beside worker")
    parser.add_argument("--large", type=int, default=20_000, help="guardians in `large`")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each unthrottled scenario (median kept)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="sandesh-bench-logs-"))
    every = "sent,delivered,read"
    plan = {
        "paced": {"guardians": 2000, "rate": 80, "statuses": ""},
        "paced+statuses": {"guardians": 2000, "rate": 80, "statuses": every},
        "unthrottled": {"guardians": 2000, "rate": UNLIMITED, "statuses": ""},
        "unthrottled+statuses": {"guardians": 2000, "rate": UNLIMITED, "statuses": every},
        "large": {"guardians": args.large, "rate": UNLIMITED, "statuses": ""},
        "top": {"guardians": args.large, "rate": 1000, "statuses": ""},
        "top+statuses": {"guardians": args.large, "rate": 1000, "statuses": every},
    }
    print(f"machine: {machine()}")
    print(
        f"processes: web (gunicorn), worker + {args.extra} worker_extra (Procfile lines), "
        f"SEND_CONCURRENCY={senders(args.extra)}; the fake Graph API in its own process"
    )
    print(f"logs: {logs}")
    fake = FakeProcess(logs, token=TOKEN)
    results = []
    try:
        for name in args.scenarios.split(","):
            unthrottled = name.startswith("unthrottled")
            for round_ in range(1, (args.rounds if unthrottled else 1) + 1):
                # This machine's speed drifts from minute to minute: the bare rate is
                # measured just before and just after each run, and the run compared
                # with their mean.
                bare = bare_httpx(fake) if unthrottled else None
                settings = dict(plan[name])
                statuses = [s for s in settings.pop("statuses").split(",") if s]
                run_logs = logs / f"{len(results) + 1}-{name}"
                run_logs.mkdir()
                result = run_scenario(
                    name, extra=args.extra, statuses=statuses, fake=fake, logs=run_logs, **settings
                )
                if unthrottled:
                    bare = {"before": bare, "after": bare_httpx(fake)}
                    best = [max(bare["before"].values()), max(bare["after"].values())]
                    bare["best"] = sum(best) / 2  # the faster way, mean of before and after
                results.append(result | {"bare": bare, "round": round_})
                print(f"  {name} ({round_}): done", flush=True)
    finally:
        fake.stop()
        drop_database()
    report(results)
    print(f"machine after: {machine()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def report(results: list[dict]) -> None:
    """The figures as a table, each beside its target."""
    print()
    print(
        f"{'scenario':<22} {'guardians':>9} {'seconds':>8} {'msg/s':>7} {'steady':>7} "
        f"{'fan-out s':>9} {'peak RSS MiB':>12} {'130429':>6} {'max/rcpt':>8}  target"
    )
    for r in results:
        rate = r["accepted"] / r["seconds"]
        target = ""
        if r["rate"] < UNLIMITED:
            minimum = r["guardians"] / r["rate"]
            target = (
                f"{r['guardians']:,}/{r['rate']:,.0f} = {minimum:.1f} s; "
                f"within 5%: <= {minimum * 1.05:.2f} s"
            )
        if r["bare"]:
            best = r["bare"]["best"]
            target = f"bare httpx {best:.0f} POST/s (half: {best / 2:.0f}); steady/bare "
            target += f"{r['steady_rate'] / best:.2f}"
        fan_out = f"{r['fan_out']:.2f}" if r["fan_out"] is not None else "?"
        name = f"{r['name']} #{r['round']}" if r["bare"] else r["name"]
        print(
            f"{name:<22} {r['guardians']:>9,} {r['seconds']:>8.1f} {rate:>7.0f} "
            f"{r['steady_rate']:>7.0f} {fan_out:>9} {r['peak_rss_mib']:>12.0f} "
            f"{r['refused_130429']:>6} {r['max_per_recipient']:>8}  {target}"
        )
    print("msg/s: accepted / seconds from the start; steady: first to last accepted")
    for name in dict.fromkeys(r["name"] for r in results if r["bare"]):
        ratios = sorted(r["steady_rate"] / r["bare"]["best"] for r in results if r["name"] == name)
        print(
            f"{name}: steady/bare over {len(ratios)} rounds: "
            f"{', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}"
        )
    for r in results:
        name = f"{r['name']} #{r['round']}" if r["bare"] else r["name"]
        if r["bare"]:
            before, after = (
                ", ".join(f"{k} {v:.0f}" for k, v in r["bare"][when].items())
                for when in ("before", "after")
            )
            print(f"{name}: bare httpx.Client POST/s just before: {before}; just after: {after}")
        if r["statuses"]:
            st = r["statuses"]
            print(
                f"{name}: statuses applied {st['applied']:,} of {st['expected']:,}, the last "
                f"{st['last_at'] - r['started']:.1f} s after the start; posted in "
                f"{st['posts']:,} webhooks ({st['applied'] / max(1, st['posts']):.1f} a webhook)"
            )
        cpu = r["cpu_ms_per_message"]
        parts = ", ".join(f"{part} {ms:.2f}" for part, ms in cpu.items() if part != "wall")
        busy = sum(ms for part, ms in cpu.items() if part != "wall") / cpu["wall"]
        print(
            f"{name}: CPU ms per message: {parts} ({busy:.1f} of {os.cpu_count()} cores "
            f"busy on average); {r['consumers']} consumer(s); counts {r['counts']}"
        )


if __name__ == "__main__":
    main()
