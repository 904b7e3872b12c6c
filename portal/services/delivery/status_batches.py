"""Many statuses at once (a busy school's webhooks, drained together): kept and applied as
`statuses.take` would one after another, in a few statements instead of a few per status.

The forward-only steps commute (each CASE sees its row as it was, none undoes another), so
each kind of step is one statement for the whole run, whatever order the statuses came in.
A failed status does not commute with them: statuses go in runs between failures, and each
failure alone, as before. A status kept before (Meta's retries) or twice in the batch is
kept and applied once; one whose wamid is not stored yet is kept, and applied when it is
(`statuses.apply_pending`). Pricing and a digest's carried messages follow as for one.
"""

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import DIGEST, PROGRESS, Delivery, DeliveryStatus, StatusEvent
from portal.services.common import clock, dialects
from portal.services.delivery import digests, statuses

_events, _deliveries = StatusEvent.__table__, Delivery.__table__
BY_WAMIDS = sa.select(*statuses.DELIVERY_COLUMNS).where(
    _deliveries.c.wamid.in_(sa.bindparam("wamids", expanding=True))
)
BY_IDS = sa.select(*statuses.DELIVERY_COLUMNS).where(
    _deliveries.c.id.in_(sa.bindparam("ids", expanding=True))
)


def take_all(items: list[tuple[int | None, object]]) -> list[bool]:
    """Keep and apply each (school_id, status update) in order; for each, whether it was
    new (False: kept before, as `statuses.take` answers)."""
    taken, run = [], []
    for school_id, update in items:
        if update.status != DeliveryStatus.FAILED:
            run.append((school_id, update))
            continue
        taken += _take_run(run)
        run = []
        taken.append(statuses.take(school_id=school_id, update=update))
    return taken + _take_run(run)


def _take_run(run: list[tuple[int | None, object]]) -> list[bool]:
    """Statuses without a failure among them: found, kept and applied together."""
    if not run:
        return []
    found, now = _deliveries_of(run), clock.now()
    rows: dict[tuple[str, str], tuple[int, dict]] = {}
    for index, (school_id, update) in enumerate(run):
        key = (update.wamid, update.status[:16])
        if key not in rows:  # the same status twice in one batch is kept once
            row = statuses.recorded(
                school_id=school_id, update=update, delivery=found[index], now=now
            )
            rows[key] = (index, row)
    kept = _record([row for _, row in rows.values()])
    new = {index for key, (index, _) in rows.items() if key in kept}
    _apply_all(
        [
            (found[index], row)
            for index, row in sorted(rows.values(), key=_first)
            if index in new and found[index] is not None
        ]
    )
    return [index in new for index in range(len(run))]


def _first(entry):
    return entry[0]


def _deliveries_of(run) -> list[sa.Row | None]:
    """Each status's delivery, as `statuses._find_delivery` finds it: by wamid, else by the
    callback data it echoes (a delivery without a wamid is given the first one that names
    it, as one after another would)."""
    wamids = sorted({update.wamid for _, update in run})
    by_wamid = {row.wamid: row for row in db.session.execute(BY_WAMIDS, {"wamids": wamids})}
    named = {statuses.delivery_id_from_callback(u.callback_data) for _, u in run}
    ids = sorted(named - {None})
    by_id = {row.id: row for row in db.session.execute(BY_IDS, {"ids": ids})} if ids else {}
    given: dict[int, str] = {}
    found = []
    for _, update in run:
        delivery = by_wamid.get(update.wamid)
        if delivery is None:
            delivery = by_id.get(statuses.delivery_id_from_callback(update.callback_data))
            if delivery is not None and not _believed(delivery, update.wamid, given):
                delivery = None
        found.append(delivery)
    return found


def _believed(delivery: sa.Row, wamid: str, given: dict[int, str]) -> bool:
    """Whether callback data naming this delivery is to be believed for `wamid`: the
    delivery has that wamid (stored since it was looked for by wamid), or none yet and no
    other status of the run named it with another."""
    if delivery.wamid is not None:
        return delivery.wamid == wamid
    return given.setdefault(delivery.id, wamid) == wamid


def _record(rows: list[dict]) -> set[tuple[str, str]]:
    """Keep the rows once per (wamid, status); the keys that were new. In key order, so
    two workers keeping overlapping batches wait for each other rather than deadlock."""
    ordered = sorted(rows, key=lambda row: (row["wamid"], row["status"]))
    if dialects.on_postgresql():  # one statement over column arrays, not many parameters
        return {(r.wamid, r.status) for r in db.session.execute(KEEP_ALL, _columns(ordered))}
    statement = (
        sqlite.insert(_events)
        .on_conflict_do_nothing(index_elements=["wamid", "status"])
        .returning(_events.c.wamid, _events.c.status)
    )
    return {(r.wamid, r.status) for r in db.session.execute(statement, ordered)}


def _columns(rows: list[dict]) -> dict[str, list]:
    """The rows as one list per column, each value as its column's type sends it."""
    dialect = db.session.get_bind().dialect
    columns = {}
    for name in statuses.RECORDED:
        process = _events.c[name].type.bind_processor(dialect)
        values = [row[name] for row in rows]
        columns[name] = [process(value) for value in values] if process else values
    return columns


def _keep_all() -> sa.TextClause:
    """status_events rows from a column array each, zipped by `unnest`, kept once per
    (wamid, status); written out, as `statuses.RECORD` is, so it is never compiled again.
    JSON goes as its text, cast."""
    pg = postgresql.dialect()
    unbounded = {  # VARCHAR, not VARCHAR(128): a cast would cut what the column refuses
        name: re.sub(r"\(\d+\)", "", _events.c[name].type.compile(dialect=pg))
        for name in statuses.RECORDED
    }
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in unbounded.items())
    return sa.text(  # built from the table's own column names and types, nothing given
        f"INSERT INTO status_events ({', '.join(statuses.RECORDED)})"  # noqa: S608
        f" SELECT * FROM unnest({arrays})"
        " ON CONFLICT (wamid, status) DO NOTHING RETURNING wamid, status"
    )


def _apply_all(applied: list[tuple[sa.Row, dict]]) -> None:
    """What the kept statuses do to their deliveries: on PostgreSQL every delivery's steps
    and first price in one statement, so a delivery whose sent, delivered and read come in
    one batch is written once, not four times; row by row elsewhere."""
    wamids, priced, steps = {}, {}, {status: {} for status in statuses.FORWARD}
    for delivery, event in applied:
        if delivery.wamid is None:
            wamids.setdefault(delivery.id, {"delivery_id": delivery.id, "wamid": event["wamid"]})
        if event["pricing"]:  # the first price shown is kept, as one after another would
            priced.setdefault(delivery.id, statuses.pricing_values(delivery.id, event["pricing"]))
        if event["status"] in steps:
            at = {"delivery_id": delivery.id, "at": event["occurred_at"]}
            steps[event["status"]].setdefault(delivery.id, at)
    if dialects.on_postgresql():
        _each(SET_WAMIDS, wamids)
        _each(STEPS_TOGETHER, _side_by_side(priced, steps))
    else:  # SQLite runs in process: a statement costs no round trip there
        _row_by_row(statuses.SET_WAMID, wamids)
        _row_by_row(statuses.PRICED, priced)
        for status, rows in steps.items():
            _row_by_row(statuses.FORWARD[status], rows)
    for delivery_id in sorted({d.id for d, _ in applied if d.purpose == DIGEST}):
        digests.mirror(delivery_id)  # the messages it carries read as it now does


def _side_by_side(priced: dict[int, dict], steps: dict[str, dict]) -> dict[int, dict]:
    """Per delivery: the time of each step (None: none came) and the price, if one came."""
    rows: dict[int, dict] = {}
    for delivery_id in {*priced, *(i for rows in steps.values() for i in rows)}:
        price = priced.get(delivery_id)
        row = {"delivery_id": delivery_id, "priced": price is not None}
        row |= {key: (price or {}).get(key) for key in ("category", "type", "billable")}
        row |= {status: steps[status].get(delivery_id, {}).get("at") for status in steps}
        rows[delivery_id] = row
    return rows


def _each(together, rows: dict[int, dict]) -> None:
    """One statement for every row, arrays unnested, in delivery order (PostgreSQL)."""
    if rows:
        ordered = [rows[key] for key in sorted(rows)]
        db.session.execute(together, {name: [row[name] for row in ordered] for name in ordered[0]})


def _row_by_row(one, rows: dict[int, dict]) -> None:
    for key in sorted(rows):  # (its IN lists cannot go to executemany)
        db.session.execute(one, rows[key])


def _unnested(**types) -> sa.Subquery:
    """The rows given as arrays, one per column: `unnest` side by side, zipped."""
    columns = [
        sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(kind))).label(name)
        for name, kind in types.items()
    ]
    return sa.select(*columns).subquery("v")


def _set_wamids() -> sa.Update:
    v = _unnested(delivery_id=sa.Integer, wamid=sa.String)
    d = _deliveries
    return (
        sa.update(d).where(d.c.id == v.c.delivery_id, d.c.wamid.is_(None)).values(wamid=v.c.wamid)
    )


def _steps_together() -> sa.Update:
    """Each delivery's sent, delivered and read (a time, or NULL when the batch had none)
    and first price, applied at once. Every CASE sees the row as it was before, so this
    ends where the steps one after another would (forward only, they commute): the
    furthest step that is ahead of the row sets its status, and each step's time is kept
    (set when the row was behind it, else only if it had none)."""
    at = sa.DateTime(timezone=True)
    kinds = {"delivery_id": sa.Integer, "priced": sa.Boolean, "category": sa.String}
    kinds |= {"type": sa.String, "billable": sa.Boolean}
    v = _unnested(**kinds, **{status: at for status in statuses.FORWARD})
    d = _deliveries
    moves, stamps, wanted = [], {}, []
    for status in sorted(statuses.FORWARD, key=PROGRESS.get, reverse=True):  # furthest first
        when, stamp = v.c[status], d.c[statuses.TIMESTAMP_COLUMN[status]]
        behind = d.c.status.in_(statuses.behind(status))
        moves.append((sa.and_(when.is_not(None), behind), status))
        stamps[stamp.key] = sa.case(
            (when.is_(None), stamp), (behind, when), else_=sa.func.coalesce(stamp, when)
        )
        wanted.append(sa.and_(when.is_not(None), sa.or_(behind, stamp.is_(None))))
    new_price, price = _first_price(v)
    moved = sa.or_(*(condition for condition, _ in moves))
    return (
        sa.update(d)
        .where(d.c.id == v.c.delivery_id, sa.or_(*wanted, new_price))
        .values(
            status=sa.case(*moves, else_=d.c.status),
            lease_until=sa.case((moved, None), else_=d.c.lease_until),
            **stamps,
            **price,
        )
    )


def _first_price(v) -> tuple:
    """(whether the row takes the price given, the price columns' new values): a price is
    kept only where none is yet."""
    d = _deliveries
    new_price = sa.and_(v.c.priced, d.c.pricing_type.is_(None))
    columns = (("pricing_category", "category"), ("pricing_type", "type"), ("billable", "billable"))
    return new_price, {
        column: sa.case((new_price, v.c[key]), else_=d.c[column]) for column, key in columns
    }


SET_WAMIDS, STEPS_TOGETHER, KEEP_ALL = _set_wamids(), _steps_together(), _keep_all()
