"""The reports page and its exports at a year's scale, on PostgreSQL.

    .venv/bin/python -m bench.reports [--rounds 15] [--guardians 2000] [--others 9]

Seeds, with PostgreSQL's COPY, a year for one school of 2,000 guardians (five notices to
every guardian each school day: about 2.4 million deliveries and 6.5 million status
events) and nine smaller schools beside it (200 guardians each, the same schedule), lets
the tally task count every broadcast as it would have over the year, then serves the
Procfile's `web` line (gunicorn) and times, signed in as the big school's admin, the
reports page (this BS month, the last 30 days and the whole year) and the exports, beside
the sign-in page and the teachers page measured the same way in the same run: p50 and p95
over several requests each, after one warm-up. A fresh database `sandesh_bench_reports`
(dropped first), Redis database 12; `--keep` leaves it for a second run (`--reuse`).
"""

import argparse
import csv
import io
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg2

from bench.webhook import environment, free_port, fresh_database, serve, stop

ROOT = Path(__file__).resolve().parent.parent
NEPAL = ZoneInfo("Asia/Kathmandu")
NEPAL_OFFSET = timedelta(hours=5, minutes=45)
TIMES = ((7, 0), (9, 30), (12, 0), (14, 30), (16, 0))  # five notices a school day, Nepal time
KINDS = ("notice", "homework", "notice", "event", "homework")
PASSWORD = "bench-reports-password"
CHUNK = 100_000


def school_days(today: date) -> list[date]:
    """The year's school days: not Saturdays, not Nepal's public holidays, not the
    Dashain–Tihar break."""
    import holidays

    public = holidays.country_holidays("NP", years=(today.year - 1, today.year))
    days, day = [], today - timedelta(days=365)
    while day < today:
        break_ = date(today.year, 10, 10) <= day <= date(today.year, 11, 10)
        if day.weekday() != 5 and day not in public and not break_:
            days.append(day)
        day += timedelta(days=1)
    return days


class Copier:
    """Rows into a table with COPY, a chunk at a time."""

    def __init__(self, conn, table: str, columns: tuple[str, ...], full=None):
        self.conn, self.table, self.columns, self.full = conn, table, columns, full
        self.buffer, self.count = io.StringIO(), 0
        self.writer = csv.writer(self.buffer)

    def add(self, *row) -> None:
        self.writer.writerow(["\\N" if v is None else v for v in row])
        self.count += 1
        if self.count % CHUNK == 0:
            self.full()  # every table in order, so each row's references are in already

    def flush(self) -> None:
        self.buffer.seek(0)
        with self.conn.cursor() as cur:
            cur.copy_expert(
                f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"
                " WITH (FORMAT csv, NULL '\\N')",
                self.buffer,
            )
        self.buffer.seek(0)
        self.buffer.truncate()


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class Seeder:
    """Ids handed out here; every row written with COPY."""

    def __init__(self, conn, today: date, rng: random.Random):
        self.conn, self.today, self.rng = conn, today, rng
        self.ids = {"guardian": 0, "student": 0, "broadcast": 0, "delivery": 0, "event": 0}
        self.pending_events: list[tuple] = []
        now = datetime.now(UTC).isoformat()
        self.now = now
        self.copiers = {
            "students": Copier(
                conn,
                "students",
                (
                    "id",
                    "school_id",
                    "class_id",
                    "roll",
                    "name",
                    "name_ne",
                    "active",
                    "created_at",
                    "updated_at",
                ),
            ),
            "guardians": Copier(
                conn,
                "guardians",
                (
                    "id",
                    "school_id",
                    "name",
                    "phone",
                    "language",
                    "opted_out_at",
                    "active",
                    "created_at",
                    "updated_at",
                ),
            ),
            "links": Copier(
                conn,
                "student_guardians",
                ("student_id", "guardian_id", "school_id", "relation", "receives_notices"),
            ),
            "broadcasts": Copier(
                conn,
                "broadcasts",
                (
                    "id",
                    "school_id",
                    "kind",
                    "source",
                    "status",
                    "targets",
                    "subject",
                    "body_en",
                    "body_ne",
                    "author_teacher_id",
                    "scheduled_at",
                    "started_at",
                    "completed_at",
                    "created_at",
                    "updated_at",
                ),
            ),
            "deliveries": Copier(
                conn,
                "deliveries",
                (
                    "id",
                    "school_id",
                    "broadcast_id",
                    "guardian_id",
                    "student_ids",
                    "status",
                    "wamid",
                    "sent_as",
                    "language",
                    "pricing_category",
                    "pricing_type",
                    "billable",
                    "acknowledged_at",
                    "attempts",
                    "next_attempt_at",
                    "error_code",
                    "error_reason",
                    "created_at",
                    "accepted_at",
                    "sent_at",
                    "delivered_at",
                    "read_at",
                    "failed_at",
                ),
            ),
            "events": Copier(
                conn,
                "status_events",
                (
                    "id",
                    "school_id",
                    "wamid",
                    "status",
                    "occurred_at",
                    "delivery_id",
                    "applied_at",
                    "created_at",
                ),
            ),
            "changes": Copier(
                conn,
                "subscription_changes",
                ("school_id", "guardian_id", "stopped", "by_office", "at", "after_broadcast_id"),
            ),
        }
        for copier in self.copiers.values():
            copier.full = self.finish

    def next(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def roster(self, school_id: int, class_ids: list[int], guardians: int, seed: int):
        """Guardians with one or two children each; some never reachable, some opted out."""
        people = []
        for n in range(guardians):
            gid = self.next("guardian")
            kids = []
            for k in range(1 + (n % 4 == 0)):
                sid = self.next("student")
                class_id = class_ids[(n + k) % len(class_ids)]
                self.copiers["students"].add(
                    sid, school_id, class_id, sid, f"Student {sid}", None, True, self.now, self.now
                )
                kids.append(sid)
            outcome = (
                "failing"
                if n % 50 == 7
                else "opted_out"
                if n % 100 == 13
                else "unread"
                if n % 40 == 21
                else "ok"
            )
            phone = f"+97798{seed:02d}{n:06d}"
            self.copiers["guardians"].add(
                gid,
                school_id,
                f"Guardian {gid}",
                phone,
                ("ne", "en", "both")[n % 3],
                None,
                True,
                self.now,
                self.now,
            )
            for sid in kids:
                self.copiers["links"].add(sid, gid, school_id, "mother", True)
            people.append((gid, kids, outcome))
        return people

    def year(self, school_id, people, teachers: list[int], days: list[date], statuses: bool):
        stopped_after: dict[int, int] = {}
        for d_index, day in enumerate(days):
            for t_index, ((hour, minute), kind) in enumerate(zip(TIMES, KINDS, strict=True)):
                started = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                started -= NEPAL_OFFSET
                bid = self.next("broadcast")
                teacher = (
                    teachers[(d_index + t_index) % len(teachers)] if kind == "homework" else None
                )
                subject = f"{kind.title()} {day.isoformat()} #{t_index + 1}"
                self.copiers["broadcasts"].add(
                    bid,
                    school_id,
                    kind,
                    "teacher" if teacher else "portal",
                    "completed",
                    json.dumps(["ALL"]),
                    subject,
                    subject,
                    "भोलिको सूचना",
                    teacher,
                    iso(started),
                    iso(started),
                    iso(started + timedelta(minutes=2)),
                    iso(started),
                    iso(started),
                )
                for gid, kids, outcome in people:
                    self._delivery(school_id, bid, gid, kids, outcome, started, stopped_after)
                    if not statuses:
                        self.pending_events.clear()
                    self._events()
        for gid, bid in stopped_after.items():
            self.copiers["changes"].add(school_id, gid, True, False, self.now, bid)

    def _delivery(self, school_id, bid, gid, kids, outcome, started, stopped_after) -> None:
        did, rng = self.next("delivery"), self.rng
        kids_json = json.dumps(kids)
        common = (did, school_id, bid, gid, kids_json)
        if outcome == "opted_out" and gid in stopped_after:
            self.copiers["deliveries"].add(
                *common,
                "skipped",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                iso(started),
                None,
                "opted out",
                iso(started),
                None,
                None,
                None,
                None,
                None,
            )
            return
        if outcome == "opted_out" and rng.random() < 0.002:
            stopped_after[gid] = bid  # they stop after this one
        if outcome == "failing":
            self.copiers["deliveries"].add(
                *common,
                "failed",
                None,
                "template",
                "ne",
                None,
                None,
                None,
                None,
                1,
                iso(started),
                131026,
                None,
                iso(started),
                None,
                None,
                None,
                None,
                iso(started + timedelta(seconds=3)),
            )
            return
        wamid = f"wamid.bench{did}"
        accepted = started + timedelta(seconds=rng.uniform(0.5, 25))
        delivered = read = seen = None
        status = "sent"
        if rng.random() < 0.985:
            late = rng.random() < 0.03
            delivered = accepted + timedelta(
                seconds=rng.uniform(400, 7200) if late else rng.uniform(1, 40)
            )
            status = "delivered"
            if outcome != "unread" and rng.random() < 0.75:
                read = delivered + timedelta(seconds=rng.expovariate(1 / 3600))
                status = "read"
                if rng.random() < 0.35:
                    seen = read + timedelta(seconds=rng.uniform(2, 120))
        paid = rng.random() < 0.8
        pricing = (
            ("utility", "regular", True) if paid else ("service", "free_customer_service", False)
        )
        self.copiers["deliveries"].add(
            *common,
            status,
            wamid,
            "template" if paid else "text",
            "ne",
            *pricing,
            iso(seen),
            1,
            iso(started),
            None,
            None,
            iso(started),
            iso(accepted),
            iso(accepted),
            iso(delivered),
            iso(read),
            None,
        )
        for name, at in (("sent", accepted), ("delivered", delivered), ("read", read)):
            if at is not None:
                self.pending_events.append((school_id, wamid, name, iso(at), did))

    def _events(self) -> None:
        for school_id, wamid, name, at, did in self.pending_events:
            self.copiers["events"].add(self.next("event"), school_id, wamid, name, at, did, at, at)
        self.pending_events.clear()

    def finish(self) -> None:
        for copier in self.copiers.values():
            copier.flush()


def prepare_schools(env: dict, schools: int) -> dict:
    """Schools, classes, teachers and the big school's admin, made by the app itself."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from portal import create_app
    from portal.extensions import db
    from portal.models import School, SchoolClass, Teacher, User
    from portal.services.accounts.passwords import hash_password

    app = create_app()
    made = {}
    with app.app_context():
        for n in range(schools):
            school = School(
                slug=f"bench-{n}",
                name=f"Bench School {n}",
                phone_number_id=f"7{n:011d}",
                messaging_tier="TIER_UNLIMITED",
            )
            db.session.add(school)
            db.session.flush()
            grades = range(-3, 11) if n == 0 else range(1, 6)
            classes = [
                SchoolClass(school_id=school.id, grade=g, section=s, academic_year=2083)
                for g in grades
                for s in (("A", "B") if n == 0 else ("",))
            ]
            teachers = [
                Teacher(school_id=school.id, name=f"Teacher {n}-{k}", phone=f"+97797{n:02d}{k:06d}")
                for k in range(40 if n == 0 else 5)
            ]
            db.session.add_all(classes + teachers)
            if n == 0:
                db.session.add(
                    User(
                        school_id=school.id,
                        email="admin@bench.example",
                        name="Admin",
                        role="admin",
                        language="en",
                        password_hash=hash_password(PASSWORD),
                    )
                )
            db.session.flush()
            made[school.id] = ([c.id for c in classes], [t.id for t in teachers])
        db.session.commit()
    return made


def count_tallies(env: dict) -> tuple[int, float]:
    """The tally task's work over the year, all at once: broadcasts counted, seconds."""
    from portal import create_app
    from portal.services.reports import tallies

    app = create_app()
    started, counted = time.monotonic(), 0
    with app.app_context():
        while done := tallies.refresh(limit=500):
            counted += done
    return counted, time.monotonic() - started


def seed(database_url: str, env: dict, guardians: int, others: int) -> dict:
    today = datetime.now(NEPAL).date()
    days = school_days(today)
    made = prepare_schools(env, 1 + others)
    conn = psycopg2.connect(database_url)
    seeder = Seeder(conn, today, random.Random(2083))
    began = time.monotonic()
    for index, (school_id, (class_ids, teachers)) in enumerate(sorted(made.items())):
        people = seeder.roster(school_id, class_ids, guardians if index == 0 else 200, index)
        seeder.year(school_id, people, teachers, days, statuses=index == 0)
    seeder.finish()
    with conn.cursor() as cur:
        for table, kind in (
            ("students", "student"),
            ("guardians", "guardian"),
            ("broadcasts", "broadcast"),
            ("deliveries", "delivery"),
            ("status_events", "event"),
        ):
            cur.execute(f"SELECT setval('{table}_id_seq', %s)", (max(1, seeder.ids[kind]),))
        cur.execute(
            "UPDATE guardians g SET opted_out_at = c.at, subscription_changed_at = c.at"
            " FROM subscription_changes c WHERE c.guardian_id = g.id"
        )
    conn.commit()
    copied = time.monotonic() - began
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()
    counted, tallied = count_tallies(env)
    return {
        "days": len(days),
        "ids": seeder.ids,
        "copy_s": copied,
        "tallies": counted,
        "tally_s": tallied,
    }


class Browser:
    """An httpx client that keeps the session cookie as a browser would over HTTPS: the
    production app marks its cookies Secure, and this talks plain HTTP to 127.0.0.1."""

    def __init__(self, base: str):
        self.client, self.cookies = httpx.Client(base_url=base, timeout=300), {}

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = kwargs.pop("headers", {}) | ({"Cookie": cookie} if cookie else {})
        response = self.client.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)


def signed_in(base: str) -> Browser:
    client = Browser(base)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.request(
        "POST",
        "/login",
        data={"csrf_token": token, "email": "admin@bench.example", "password": PASSWORD},
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in failed: {answer.status_code}")
    return client


def timed(client: Browser, url: str, rounds: int) -> dict:
    client.get(url)  # warm up
    times, size = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        size = len(response.content)
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return {"p50": statistics.median(times), "p95": p95, "bytes": size}


def pages(today: date, first_broadcast: int) -> list[tuple[str, str]]:
    year = (today - timedelta(days=364)).isoformat()
    span = f"calendar=ad&from={year}&to={today.isoformat()}"
    return [
        ("teachers page (the simplest)", "/teachers/"),
        ("reports, this BS month", "/reports/"),
        ("reports, last 30 days", "/reports/?period=30"),
        ("reports, the year", f"/reports/?{span}"),
        ("export: broadcasts, the year", f"/reports/broadcasts.csv?{span}"),
        ("export: failures, the year", f"/reports/failures.csv?{span}"),
        ("export: never read, the year", f"/reports/never-read.csv?{span}"),
        ("export: never read, this month", "/reports/never-read.csv"),
        ("export: classes, the year", f"/reports/classes.csv?{span}"),
        ("export: opt-outs", "/reports/opt-outs.csv"),
        ("export: one broadcast's deliveries", f"/broadcasts/{first_broadcast}/deliveries.csv"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--guardians", type=int, default=2000)
    parser.add_argument("--others", type=int, default=9)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    parser.add_argument("--database", default="sandesh_bench_reports")
    parser.add_argument("--reuse", action="store_true", help="time an earlier run's database")
    args = parser.parse_args()
    database_url = f"{args.postgres}/{args.database}"
    env = environment(database_url, args.redis, tempfile.mkdtemp(prefix="sandesh-bench-"))
    env["WHATSAPP_TRANSPORT"] = "sandbox"
    if not args.reuse:
        fresh_database(args.postgres, args.database)
        import subprocess

        subprocess.run(
            ["flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        seeded = seed(database_url, env, args.guardians, args.others)
        ids = seeded["ids"]
        print(
            f"seeded with COPY in {seeded['copy_s']:.0f} s: {1 + args.others} schools, "
            f"{seeded['days']} school days, {ids['broadcast']:,} broadcasts, "
            f"{ids['delivery']:,} deliveries, {ids['event']:,} status events, "
            f"{ids['guardian']:,} guardians"
        )
        print(
            f"tally task over the year: {seeded['tallies']:,} broadcasts counted in "
            f"{seeded['tally_s']:.0f} s"
        )
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT min(id) FROM broadcasts WHERE school_id = (SELECT min(id) FROM schools)"
        )
        first_broadcast = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
            " WHERE b.school_id = (SELECT min(id) FROM schools)"
        )
        big = cur.fetchone()[0]
    conn.close()
    port = free_port()
    process = serve("wsgi:app", env, port)
    try:
        client = signed_in(f"http://127.0.0.1:{port}")
        today = datetime.now(NEPAL).date()
        results = [
            (name, timed(client, url, args.rounds)) for name, url in pages(today, first_broadcast)
        ]
    finally:
        stop(process)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"the big school has {big:,} deliveries; {args.rounds} requests each after a warm-up"
    )
    print(f"{'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>11}")
    base = results[0][1]["p50"]
    for name, r in results:
        print(
            f"{name:<38} {r['p50'] * 1000:>8.1f} {r['p95'] * 1000:>8.1f} {r['bytes']:>11,}"
            f"   {r['p50'] / base:>6.1f}× the teachers page"
        )


if __name__ == "__main__":
    main()
