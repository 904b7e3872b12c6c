"""The weekly summary on WhatsApp: on the school's day and Nepal time, the teacher it names
(the principal, usually) gets last week's notices, reach, read rate, the least-reached
classes and new opt-outs, in their language, as one message. It travels as a staff alert:
as text inside their 24-hour window, else carried by the reminder template."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import School, Teacher
from portal.services.common import dates
from portal.services.common.dates import NEPAL
from portal.services.delivery import replies
from portal.services.reports import reach, subscriptions
from portal.services.reports.periods import Period

PURPOSE = "weekly_summary"
LEAST_REACHED = 3  # classes named


def last_week(today: date) -> Period:
    """The seven days before the summary's day."""
    return Period(today - timedelta(days=7), today - timedelta(days=1))


def due_ids(now: datetime) -> list[int]:
    """Schools whose summary is due: their day, past their time, not yet sent today."""
    local = now.astimezone(NEPAL)
    rows = db.session.execute(
        sa.select(School.id, School.summary_at).where(
            School.active,
            School.summary_teacher_id.is_not(None),
            School.summary_weekday == local.weekday(),
            sa.or_(School.summary_sent_on.is_(None), School.summary_sent_on < local.date()),
        )
    )
    return [school_id for school_id, at in rows if at <= local.time().replace(tzinfo=None)]


def send(school_id: int, now: datetime) -> bool:
    """Queue the school's summary once for the day (the caller commits and wakes the
    senders); False when another run queued it, or nobody is named to receive it."""
    today = now.astimezone(NEPAL).date()
    claimed = db.session.execute(
        sa.update(School)
        .where(
            School.id == school_id,
            sa.or_(School.summary_sent_on.is_(None), School.summary_sent_on < today),
        )
        .values(summary_sent_on=today)
        .execution_options(synchronize_session=False)
    )
    school = db.session.get(School, school_id)
    teacher = db.session.get(Teacher, school.summary_teacher_id or 0)
    if claimed.rowcount != 1 or teacher is None or not teacher.active:
        return False
    with force_locale(teacher.language):
        body = text(school, last_week(today), teacher.language)
    replies.queue_reply(
        school_id=school.id,
        to_phone=teacher.phone,
        body=body,
        purpose=PURPOSE,
        language=teacher.language,
    )
    return True


def _share(part: int, whole: int, lang: str) -> str:
    return localize_digits(f"{100 * part / whole:.1f}%", lang) if whole else "–"


def _n(value: int, lang: str) -> str:
    return localize_digits(f"{value:,}", lang)


def text(school: School, period: Period, lang: str) -> str:
    """The summary in the reader's language (call within force_locale(lang))."""
    report = reach.load(school, period)
    changes = subscriptions.load(school.id, period)
    first, last = (dates.format_dual_date(d, lang) for d in (period.first, period.last))
    sent = len(report.lines)
    lines = [
        _("Weekly summary from %(school)s", school=school.display_name(lang)),
        f"{first} – {last}",
        ngettext("%(count)s notice sent.", "%(count)s notices sent.", sent, count=_n(sent, lang)),
        *(_reach_lines(report, lang) if sent else ()),
        _(
            "New opt-outs: %(stopped)s · Started again: %(started)s",
            stopped=_n(changes.stopped, lang),
            started=_n(changes.started, lang),
        ),
        _("The full report is on the Reports page of Sandesh."),
    ]
    return "\n".join(lines)


def _reach_lines(report: reach.Report, lang: str) -> list[str]:
    funnel, messaged = report.funnel, report.funnel.messaged
    lines = [
        _(
            "Delivered: %(delivered)s · Read: %(read)s · Seen: %(seen)s",
            delivered=_share(funnel.delivered, messaged, lang),
            read=_share(funnel.read, messaged, lang),
            seen=_share(funnel.acknowledged, messaged, lang),
        )
    ]
    least = _least_reached(report, lang)
    if least:
        lines.append(_("Least reached: %(classes)s", classes=", ".join(least)))
    if funnel.failed:
        lines.append(_("Failed: %(count)s messages.", count=_n(funnel.failed, lang)))
    return lines


def _least_reached(report: reach.Report, lang: str) -> list[str]:
    reached = [
        (counts.delivered / counts.messaged, school_class, counts)
        for school_class, counts in report.classes
        if counts.messaged
    ]
    reached.sort(key=lambda item: (item[0], item[1].grade, item[1].section))
    return [
        f"{c.name_ne if lang == 'ne' else c.name} {_share(n.delivered, n.messaged, lang)}"
        for _share_of, c, n in reached[:LEAST_REACHED]
    ]
