"""A class's attendance by Bikram Sambat month: who was absent on which day, and each
student's school days present and absent (teachers record absences from WhatsApp)."""

from flask import Blueprint, request

from portal.models import SchoolClass
from portal.services.attendance import months
from portal.services.common import clock
from portal.services.common.dates import NEPAL, to_bs
from portal.web.htmx import render_page
from portal.web.tenancy import get_scoped_or_404, school_member

bp = Blueprint("attendance", __name__)
BS_YEARS = range(2001, 2100)  # the years the pages show (the BS library knows 1975–2100)


def month_asked() -> tuple[int, int]:
    """`?month=2082-08`, or this month in Nepal."""
    text = request.args.get("month", "")
    year, _sep, month = text.partition("-")
    if year.isdigit() and month.isdigit() and int(year) in BS_YEARS and 1 <= int(month) <= 12:
        return int(year), int(month)
    today = to_bs(clock.now().astimezone(NEPAL).date())
    return today.year, today.month


@bp.get("/classes/<int:class_id>/attendance")
@school_member
def class_month(class_id):
    school_class = get_scoped_or_404(SchoolClass, class_id)
    year, month = month_asked()
    return render_page(
        "attendance/class.html",
        school_class=school_class,
        month=months.class_month(school_class, year, month),
    )
