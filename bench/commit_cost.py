"""What PostgreSQL spends on each statement a message needs, measured one at a time.

    .venv/bin/python -m bench.commit_cost                 # 3 rounds of 3,000 each
    .venv/bin/python -m bench.commit_cost --rounds 5 --count 5000

On a fresh database (`sandesh_bench_commit`, migrated by the app) it runs, on one
connection in autocommit as the senders and the webhook's web threads do, and one after
another (no concurrency, so no lock waits are counted):

- a round trip that does nothing (`SELECT 1`): the baseline;
- the sender's per-message statement, the wamid stored and committed (`Ledger.accepted`,
  the code the senders run, prepared), against deliveries being sent;
- the same with the reports' trigger on `deliveries` disabled: that trigger's share;
- the same with `synchronous_commit = off` on the connection: the share of the durable
  commit (Sandesh never runs so; a crash could lose a committed wamid and send again);
- a webhook kept before its 200 (`events.store` on the web's connection).

For each it prints the wall time and the CPU of the server's backend (user and system,
from /proc: the server must run on this machine) and of this client, per statement, the
median over rounds. Then what a message costs the server at top+statuses's shape (one
wamid, and a stored webhook for every 5.8 statuses of three), beside what two cores have
for everything a message needs there (20,000 messages in 21 s: 2.1 ms).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("BENCH_DATABASE", "sandesh_bench") + "_commit"
os.environ.update(
    SANDESH_ENV="development",
    DATABASE_URL=f"{PG_SERVER}/{PG_DATABASE}",
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
    SANDESH_INSTANCE_PATH=tempfile.mkdtemp(prefix="sandesh-bench-"),
)

import sqlalchemy as sa  # noqa: E402

from bench.webhook import drop_database, fresh_database  # noqa: E402

TOP_BUDGET_MS = 2 * 21_000 / 20_000  # two cores, 21 s, 20,000 messages
STATUSES_PER_WEBHOOK = 5.8  # as the fake batched them in bench/fanout.py's top+statuses
Row = namedtuple("Row", "id broadcast_id school_id")
WEBHOOK = b'{"object":"whatsapp_business_account","entry":[' + b"x" * 1400 + b"]}"


def backend_cpu(connection: sa.Connection) -> tuple[float, float]:
    """(user, system) CPU seconds of the server process behind `connection`."""
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        raise SystemExit(
            f"the server's process {pid} is not on this machine: run the bench beside it"
        ) from None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def measured(connection: sa.Connection, count: int, run) -> dict:
    """`run(i)` for i in 0..count-1; per call: wall, backend user and system, client CPU."""
    user0, sys0 = backend_cpu(connection)
    wall0, client0 = time.perf_counter(), time.process_time()
    for i in range(count):
        run(i)
    wall, client = time.perf_counter() - wall0, time.process_time() - client0
    user1, sys1 = backend_cpu(connection)
    per = lambda seconds: 1000 * seconds / count  # noqa: E731
    return {
        "wall": per(wall),
        "user": per(user1 - user0),
        "system": per(sys1 - sys0),
        "client": per(client),
    }


def seed() -> tuple[int, int]:
    """A school with a broadcast being sent; (school id, broadcast id)."""
    from portal.extensions import db
    from tests.faults.seed import notice_to_everyone, seed_school

    school = seed_school(guardians=1, slug="commit", phone_number_id="100200300")
    db.session.commit()
    broadcast = notice_to_everyone(school, body_en="Closed tomorrow.", body_ne="भोलि बिदा।")
    broadcast.status = "sending"
    db.session.commit()
    return school.id, broadcast.id


def sending_rows(connection, school_id: int, broadcast_id: int, count: int) -> list[Row]:
    """`count` deliveries of the broadcast being sent (leased), as a sender holds them."""
    ids = connection.exec_driver_sql(
        "INSERT INTO deliveries (school_id, broadcast_id, student_ids, status, attempts,"
        " next_attempt_at, created_at, lease_until)"
        " SELECT %(school)s, %(broadcast)s, '[]', 'sending', 1, now(), now(),"
        " now() + interval '1 hour' FROM generate_series(1, %(count)s) RETURNING id",
        {"school": school_id, "broadcast": broadcast_id, "count": count},
    ).scalars()
    connection.exec_driver_sql("VACUUM ANALYZE deliveries")
    return [Row(i, broadcast_id, school_id) for i in sorted(ids)]


def one_round(app, count: int, school_id: int, broadcast_id: int, tag: str) -> dict:
    from portal.extensions import db
    from portal.services.conversations import events
    from portal.services.delivery.ledger import open_ledger

    figures = {}
    with app.app_context(), open_ledger() as ledger:
        connection = ledger.connection
        figures["round trip (SELECT 1)"] = measured(
            connection, count, lambda i: connection.exec_driver_sql("SELECT 1").scalar()
        )
        cases = (
            ("wamid stored, committed", ()),
            (
                "  without the reports trigger",
                ("ALTER TABLE deliveries DISABLE TRIGGER deliveries_report_updated",),
            ),
            ("  with synchronous_commit off", ("SET synchronous_commit = off",)),
        )
        for label, setup in cases:
            rows = sending_rows(connection, school_id, broadcast_id, count)
            for statement in setup:
                connection.exec_driver_sql(statement)
            figures[label] = measured(
                connection,
                count,
                lambda i, rows=rows, label=label: ledger.accepted(
                    rows[i], wamid=f"wamid.{tag}.{label[:8]}.{i}", sent_as="template", language="ne"
                ),
            )
            connection.exec_driver_sql(
                "ALTER TABLE deliveries ENABLE TRIGGER deliveries_report_updated"
            )
            connection.exec_driver_sql("SET synchronous_commit = on")
        with db.engine.connect() as plain:
            plain = plain.execution_options(isolation_level="AUTOCOMMIT")
            figures["webhook stored before its 200"] = measured(
                plain, count, lambda i: events.store(WEBHOOK, connection=plain)
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=3000, help="statements of each kind a round")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from portal import create_app

    fresh_database(PG_SERVER, PG_DATABASE)
    app = create_app(process="worker")
    try:
        with app.app_context():
            upgrade()
            school_id, broadcast_id = seed()
        rounds = [
            one_round(app, args.count, school_id, broadcast_id, f"r{n}") for n in range(args.rounds)
        ]
    finally:
        from portal.extensions import db

        with app.app_context():
            db.engine.dispose()
        drop_database(PG_SERVER, PG_DATABASE)
    report(rounds, args)


def report(rounds: list[dict], args) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    print(f"{args.rounds} round(s) of {args.count:,} statements each, one connection, autocommit")
    print(
        f"{'ms per statement (median)':34} {'wall':>7} {'server':>7} {'(user':>7} {'sys)':>6}"
        f" {'client':>7}"
    )
    median = {}
    for label in rounds[0]:
        m = {k: statistics.median(r[label][k] for r in rounds) for k in rounds[0][label]}
        median[label] = m
        print(
            f"{label:34} {m['wall']:7.3f} {m['user'] + m['system']:7.3f} {m['user']:7.3f}"
            f" {m['system']:6.3f}"
            f" {m['client']:7.3f}"
        )
    server = lambda label: median[label]["user"] + median[label]["system"]  # noqa: E731
    accept, base = server("wamid stored, committed"), server("round trip (SELECT 1)")
    webhook = server("webhook stored before its 200") * 3 / STATUSES_PER_WEBHOOK
    print(
        f"the reports trigger's share: {accept - server('  without the reports trigger'):.3f} ms;"
        f" the durable commit's: {accept - server('  with synchronous_commit off'):.3f} ms;"
        f" a round trip's: {base:.3f} ms"
    )
    print(
        f"server CPU a message needs at top+statuses, before any status is applied: wamid"
        f" {accept:.3f} + webhooks {webhook:.3f} (3 statuses, {STATUSES_PER_WEBHOOK} a webhook)"
        f" = {accept + webhook:.3f} ms of the {TOP_BUDGET_MS:.2f} ms two cores have for"
        f" everything ({100 * (accept + webhook) / TOP_BUDGET_MS:.0f}%)"
    )


if __name__ == "__main__":
    main()
