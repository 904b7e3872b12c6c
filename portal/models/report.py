"""What the reports read: each broadcast's counts kept as rollups (for the whole school, per
class and per grade), the marks that say a rollup is out of date, and every STOP and START
a guardian sent (with the broadcast that came just before)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

SCOPES = ("school", "class", "grade")  # a tally's scope; scope_id is 0, a class id, a grade


class BroadcastTally(db.Model):
    """A broadcast's deliveries counted once for the reports (one per guardian; later parts
    of a long message not again), for the whole school and for each class and grade its
    guardians' children are in. Kept by the tally task from the deliveries; a row of
    `report_marks` names a broadcast whose deliveries changed since."""

    __tablename__ = "broadcast_tallies"

    broadcast_id: Mapped[int] = mapped_column(
        sa.ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    targeted: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)  # reached Meta (and maybe further)
    delivered: Mapped[int] = mapped_column(default=0)  # reached the phone (and maybe read)
    read: Mapped[int] = mapped_column(default=0)
    acknowledged: Mapped[int] = mapped_column(default=0)  # tapped Seen
    failed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)  # opted out, or cancelled before sending
    pending: Mapped[int] = mapped_column(default=0)  # still on its way
    # Delivered within the reach window of the start of sending (5 minutes).
    prompt: Mapped[int] = mapped_column(default=0)
    # Seconds from the start of sending to the phone: median and 95th percentile.
    p50_seconds: Mapped[int | None]
    p95_seconds: Mapped[int | None]
    # What Meta reported it charged: {category: {"free": n, "paid": n}}.
    charges: Mapped[dict | None] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A broadcast whose deliveries changed after its tally was made: written by database
# triggers on `deliveries` (migration 0014), taken by the tally task. Append-only, without a
# unique key, so a change never waits on another.
report_marks = sa.Table(
    "report_marks",
    db.metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("broadcast_id", sa.Integer, nullable=False),
)


class SubscriptionChange(db.Model):
    """A guardian's STOP or START as applied (or the office opting them out), and the
    broadcast they had received just before: what made parents stop."""

    __tablename__ = "subscription_changes"
    __table_args__ = (sa.Index("ix_subscription_changes_school_at", "school_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    guardian_id: Mapped[int] = mapped_column(
        sa.ForeignKey("guardians.id", ondelete="CASCADE"), index=True
    )
    stopped: Mapped[bool]  # True: STOP (opted out); False: START (back in)
    by_office: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    after_broadcast_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("broadcasts.id", ondelete="SET NULL")
    )

    after_broadcast = relationship("Broadcast")
