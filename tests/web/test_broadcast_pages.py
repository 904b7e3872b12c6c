"""Broadcast pages: compose with a preview, send or schedule, watch progress, search the
guardians, see failures by reason, cancel; and the dashboard's pause alert."""

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from markupsafe import escape

from portal.models import Alert, AuditLog, Broadcast, Delivery, School
from portal.services.broadcasting import delivery_counts, dispatch
from portal.services.common import clock, dates
from portal.services.delivery import alerts
from portal.tasks.delivery import start_broadcast
from portal.whatsapp import errors
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
    UserFactory,
)
from tests.fakes.recording import graph_error
from tests.helpers import make_broadcast


def _reason(code: int) -> str:
    """Meta's error code as an English reader sees it on the page."""
    with force_locale("en"):
        return str(escape(errors.reason(code)))


@pytest.fixture
def roster(db, school):
    """5A: Asha (mother Maya) and Bikash (father Hari); 5B: Dipa (also Maya's) and Chandra
    (Sita, opted out); 6A: Esha (Ram). Maya wrote today, so she gets free-form text."""
    c5a = ClassFactory(school=school, grade=5, section="A")
    c5b = ClassFactory(school=school, grade=5, section="B")
    c6a = ClassFactory(school=school, grade=6, section="A")
    people = {
        "maya": GuardianFactory(
            school=school,
            name="Maya Gurung",
            phone="+9779841000001",
            language="en",
            last_inbound_at=clock.now(),
        ),
        "hari": GuardianFactory(
            school=school, name="Hari Thapa", phone="+9779841000002", language="ne"
        ),
        "sita": GuardianFactory(
            school=school,
            name="Sita Rai",
            phone="+9779841000003",
            language="both",
            opted_out_at=clock.now(),
        ),
        "ram": GuardianFactory(school=school, name="Ram KC", phone="+9779841000004"),
    }
    for name, cls, roll, guardian in [
        ("Asha", c5a, 1, "maya"),
        ("Bikash", c5a, 2, "hari"),
        ("Dipa", c5b, 1, "maya"),
        ("Chandra", c5b, 2, "sita"),
        ("Esha", c6a, 1, "ram"),
    ]:
        student = StudentFactory(school_class=cls, roll=roll, name=name, name_ne=None)
        StudentGuardianFactory(student=student, guardian=people[guardian])
    return people


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form(**values) -> dict:
    form = {
        "targets": ["5A"],
        "kind": "notice",
        "body_en": "School is closed tomorrow.",
        "body_ne": "भोलि विद्यालय बन्द छ।",
        "action": "send",
    }
    return form | values


def _tomorrow() -> datetime.date:
    return (dates.nepal_now() + timedelta(days=1)).date()


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _only_broadcast(db) -> Broadcast:
    db.session.expire_all()
    return db.session.scalars(sa.select(Broadcast)).one()


def _audit(db, action):
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


# Compose ----------------------------------------------------------------------------------


def test_compose_offers_the_school_s_classes_grades_and_kinds(admin_portal, roster):
    page = _text(admin_portal.get("/broadcasts/new"))
    assert "Whole school" in page and "Whole grade 5" in page and "Whole grade 6" in page
    for value in ("ALL", "5", "5A", "5B", "6A"):
        assert f'name="targets" value="{value}"' in page
    for kind in ("Notice", "Homework", "Event", "Emergency"):
        assert kind in page
    assert 'value="absence"' not in page  # teachers send absences from WhatsApp
    assert f'value="{dates.nepal_now().date().isoformat()}"' in page  # today, in Nepal
    assert dates.format_bs(dates.nepal_now().date(), "en") in page


@pytest.mark.parametrize(
    "method, url",
    [("get", "/broadcasts/new"), ("post", "/broadcasts/new"), ("post", "/broadcasts/{id}/cancel")],
)
def test_teachers_may_not_compose_or_cancel(portal, login_as, school, db, method, url):
    ClassFactory(school=school)
    broadcast = make_broadcast(school, ["ALL"], scheduled_at=clock.now() + timedelta(hours=1))
    login_as("teacher")
    response = getattr(portal, method)(url.format(id=broadcast.id))
    assert response.status_code == 403
    assert _only_broadcast(db).status == "scheduled"


def test_teachers_see_broadcasts_without_a_cancel_button(portal, login_as, roster, school):
    broadcast = make_broadcast(school, ["5A"], scheduled_at=clock.now() + timedelta(hours=1))
    login_as("teacher")
    assert "School is closed tomorrow." in _text(portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Cancel this broadcast" not in _text(portal.get(f"/broadcasts/{broadcast.id}"))
    assert "New broadcast" not in _text(portal.get("/broadcasts/"))


def test_staff_may_compose(portal, login_as, roster):
    login_as("staff")
    assert portal.get("/broadcasts/new").status_code == 200


def test_preview_counts_guardians_and_shows_the_message_in_both_languages(
    admin_portal, roster, school, db
):
    response = admin_portal.post("/broadcasts/new", _form(targets=["5"], action="preview"))
    page = _text(response)
    assert response.status_code == 200
    # Maya (two children, one message), Hari; Sita opted out
    assert "2 guardians will receive it." in page
    assert "1 has opted out and will be skipped." in page
    assert "It will go now." in page
    assert "School is closed tomorrow." in page and "भोलि विद्यालय बन्द छ।" in page
    assert f"*{school.name}* · Notice" in page
    assert f"*{school.name_ne}* · " in page
    assert "Reply STOP to stop these messages." in page
    # a child of the targets, named as parents see it in each language
    assert "For Asha (5A)" in page and "(५क)" in page
    assert 'name="body_en"' in page  # the form stays, with what was typed
    assert _count(db, Broadcast) == 0


def test_an_htmx_preview_returns_only_the_preview(admin_portal, roster, db):
    response = admin_portal.post("/broadcasts/new", _form(action="preview"), htmx=True)
    page = _text(response)
    assert response.status_code == 200
    assert "<html" not in page and "<form" not in page
    assert "2 guardians will receive it." in page
    assert len(response.get_data()) < 8 * 1024
    assert _count(db, Broadcast) == 0


def test_an_htmx_preview_with_errors_swaps_the_whole_form(admin_portal, roster, db):
    response = admin_portal.post("/broadcasts/new", _form(targets=[], action="preview"), htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#compose"
    assert "Choose at least one class." in _text(response)
    assert "<html" not in _text(response)


def test_preview_waits_for_the_end_of_quiet_hours_except_for_emergencies(
    admin_portal, roster, school, db
):
    school.quiet_start, school.quiet_end = time(21, 0), time(6, 0)
    db.session.commit()
    tomorrow = _tomorrow()
    later = {"send_date": tomorrow.isoformat(), "send_time": "22:30"}
    page = _text(admin_portal.post("/broadcasts/new", _form(action="preview", **later)))
    morning = datetime.combine(tomorrow + timedelta(days=1), time(6), tzinfo=dates.NEPAL)
    expected = dates.format_dual_datetime(morning, "en")
    assert f"It will go at {expected}, when the school's quiet hours end." in page
    urgent = _form(action="preview", kind="emergency", **later)
    page = _text(admin_portal.post("/broadcasts/new", urgent))
    night = datetime.combine(tomorrow, time(22, 30), tzinfo=dates.NEPAL)
    assert f"It will go at {dates.format_dual_datetime(night, 'en')}." in page


# Send and schedule ------------------------------------------------------------------------


def test_send_creates_the_broadcast_and_messages_reach_the_right_guardians(
    admin_portal, admin, roster, recorder, db
):
    response = admin_portal.post("/broadcasts/new", _form(targets=["5A", "5B"]))
    broadcast = _only_broadcast(db)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/broadcasts/{broadcast.id}"
    assert (broadcast.source, broadcast.author_user_id) == ("portal", admin.id)
    assert sorted(m["to"] for m in recorder.sent) == ["9779841000001", "9779841000002"]
    (to_maya,) = recorder.to(roster["maya"].phone)
    assert "For Asha (5A), Dipa (5B)" in to_maya["body"]  # one message naming both children
    assert recorder.to(roster["sita"].phone) == []  # opted out
    assert broadcast.status == "completed"
    (entry,) = _audit(db, "broadcast.create")
    assert entry.target_id == broadcast.id and entry.user_id == admin.id
    page = _text(admin_portal.get(response.headers["Location"]))
    assert "Sending now." in page and "Completed" in page


def _compose_page_token(portal) -> str:
    """The submission id a freshly opened compose page carries."""
    found = re.search(r'name="submission" value="([^"]+)"', _text(portal.get("/broadcasts/new")))
    assert found, "the compose page carries no submission id"
    return found.group(1)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain form", "htmx"])
def test_a_second_send_of_the_same_page_opens_the_first_broadcast(
    admin_portal, roster, recorder, db, htmx
):
    form = _form(submission=_compose_page_token(admin_portal))
    first = admin_portal.post("/broadcasts/new", form, htmx=htmx)
    broadcast = _only_broadcast(db)
    sent = len(recorder.sent)
    assert sent == 2  # 5A: Maya and Hari
    again = admin_portal.post("/broadcasts/new", form, htmx=htmx)  # a double tap
    assert _count(db, Broadcast) == 1 and len(recorder.sent) == sent
    assert again.status_code == first.status_code == 302
    assert again.headers["Location"] == first.headers["Location"] == f"/broadcasts/{broadcast.id}"
    page = _text(admin_portal.get(again.headers["Location"]))
    assert "This message was already sent from this page; it was not sent again." in page
    assert len(_audit(db, "broadcast.create")) == 1


def test_a_changed_message_on_the_same_page_goes_as_a_new_broadcast(
    admin_portal, roster, recorder, db
):
    token = _compose_page_token(admin_portal)
    admin_portal.post("/broadcasts/new", _form(submission=token))
    changed = _form(submission=token, body_en="School opens at 11 tomorrow.", body_ne="")
    response = admin_portal.post("/broadcasts/new", changed)  # Back, edited, Send
    assert _count(db, Broadcast) == 2
    page = _text(admin_portal.get(response.headers["Location"]))
    assert "Sending now." in page and "already sent" not in page
    other_page = _form(submission=_compose_page_token(admin_portal))  # New broadcast again
    admin_portal.post("/broadcasts/new", other_page)
    assert _count(db, Broadcast) == 3  # the same notice, on purpose, from a new page


def test_two_sends_of_one_page_racing_each_other_make_one_broadcast(
    admin_portal, roster, recorder, db, monkeypatch
):
    from portal.services.broadcasting import submissions

    form = _form(submission=_compose_page_token(admin_portal))
    first = admin_portal.post("/broadcasts/new", form)
    # The second got past its check before the first committed: the constraint decides.
    looked, real = [], submissions.made_by

    def made_by(*args):  # the first look (before the draft) sees nothing yet
        looked.append(args)
        return None if len(looked) == 1 else real(*args)

    monkeypatch.setattr(submissions, "made_by", made_by)
    second = admin_portal.post("/broadcasts/new", form)
    assert len(looked) == 2  # checked before, and again after the constraint refused it
    assert _count(db, Broadcast) == 1
    assert second.headers["Location"] == first.headers["Location"]
    assert "it was not sent again" in _text(admin_portal.get(second.headers["Location"]))


def test_a_preview_then_send_makes_one_broadcast_and_the_nepali_notice(
    portal, login_as, roster, recorder, db
):
    login_as("admin")
    portal.post("/language", {"lang": "ne"})
    form = _form(submission=_compose_page_token(portal))
    preview_only = portal.post("/broadcasts/new", form | {"action": "preview"}, htmx=True)
    assert preview_only.status_code == 200 and _count(db, Broadcast) == 0
    portal.post("/broadcasts/new", form)
    again = portal.post("/broadcasts/new", form)
    assert _count(db, Broadcast) == 1
    page = _text(portal.get(again.headers["Location"]))
    assert "यो सन्देश यही पानाबाट पहिले नै पठाइसकिएको छ; फेरि पठाइएन।" in page


def test_a_page_without_a_submission_id_still_sends(admin_portal, roster, recorder, db):
    for token in (None, "", "not-one-of-ours", "x" * 300):  # opened before the id existed
        form = _form() if token is None else _form(submission=token)
        assert admin_portal.post("/broadcasts/new", form).status_code == 302
    assert _count(db, Broadcast) == 4


def test_a_scheduled_broadcast_waits_and_shows_its_nepal_time(admin_portal, roster, recorder, db):
    tomorrow = _tomorrow()
    later = {"send_date": tomorrow.isoformat(), "send_time": "10:00"}
    response = admin_portal.post("/broadcasts/new", _form(**later))
    broadcast = _only_broadcast(db)
    assert response.status_code == 302
    assert recorder.sent == []
    assert broadcast.status == "scheduled"
    wanted = datetime.combine(tomorrow, time(10), tzinfo=dates.NEPAL)
    assert broadcast.scheduled_at == wanted
    assert broadcast.scheduled_at.astimezone(dates.NEPAL).utcoffset() == timedelta(
        hours=5, minutes=45
    )
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Scheduled" in page
    assert dates.format_dual_datetime(wanted, "en") in page  # AD and BS date, 10:00
    assert dates.format_bs(tomorrow, "en") in page and "10:00" in page
    assert 'hx-trigger="every 3s"' in page


def test_a_bikram_sambat_date_is_understood(admin_portal, roster, recorder, db):
    bs = dates.to_bs(_tomorrow())
    later = {"send_date": f"{bs.year}-{bs.month:02d}-{bs.day:02d}"}
    admin_portal.post("/broadcasts/new", _form(send_time="10:00", **later))
    local = _only_broadcast(db).scheduled_at.astimezone(dates.NEPAL)
    assert (local.date(), local.time()) == (_tomorrow(), time(10))


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"targets": []}, "targets", "Choose at least one class."),
        ({"targets": ["9Z"]}, "targets", "“9Z” is not a class of this school."),
        (
            {"body_en": "", "body_ne": " "},
            "body_ne",
            "Write the message in Nepali, English or both.",
        ),
        (
            {"send_date": "2020-01-01", "send_time": "10:00"},
            "send_date",
            "The send time is in the past.",
        ),
        (
            {"send_date": "2025-02-30", "send_time": "10:00"},
            "send_date",
            "There is no such date.",
        ),
        ({"send_date": "tomorrow", "send_time": "10:00"}, "send_date", "Enter a date"),
        ({"send_date": "2030-01-01", "send_time": ""}, "send_date", "Enter a time too"),
        ({"send_date": "2050-01-01", "send_time": "10:00"}, "send_date", "too far away"),
        ({"kind": "absence"}, "kind", "Not a valid choice"),
        (
            {"send_date": "2030-01-01", "send_time": "25:00"},
            "send_date",
            "Enter a time",
        ),
    ],
)
@pytest.mark.parametrize("action", ["send", "preview"])
def test_field_errors_keep_what_was_typed_and_create_nothing(
    admin_portal, roster, recorder, db, values, field, message, action
):
    typed = _form(action=action, subject="Kept subject", **values)
    response = admin_portal.post("/broadcasts/new", typed)
    page = _text(response)
    assert response.status_code == 422
    assert message in page
    assert f'id="{field}-error"' in page
    assert 'value="Kept subject"' in page
    if values.get("body_en", "x"):
        assert "School is closed tomorrow.</textarea>" in page
    assert _count(db, Broadcast) == 0 and recorder.sent == []


# Detail, progress, rows -------------------------------------------------------------------


def _sent(school, recorder, targets=("5", "6")) -> Broadcast:
    broadcast = make_broadcast(school, list(targets))
    start_broadcast.call_local(broadcast.id)
    return broadcast


def test_detail_shows_counts_reach_and_a_finished_progress_block(
    admin_portal, roster, school, recorder, db
):
    broadcast = _sent(school, recorder)
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    counts = re.sub(r"\s+", " ", page[page.index('class="counts"') :][:900])
    assert "<strong>3</strong> Sent" in counts  # Maya, Hari, Ram
    assert "<strong>1</strong> Skipped" in counts  # Sita
    assert "<strong>4</strong> in all" in counts
    assert "Reach: 0% of the guardians messaged received it." in page
    assert "every 3s" not in page  # completed: no longer polled as often as while sending
    assert '<rect class="bar-sent" x="0.0" width="75.0" height="4"/>' in page
    assert '<rect class="bar-skipped" x="75.0" width="25.0" height="4"/>' in page
    assert "style=" not in page


def test_a_completed_broadcast_shows_its_reach_and_time_to_deliver(
    admin_portal, roster, school, recorder, db
):
    broadcast = _sent(school, recorder)
    db.session.expire_all()
    started = db.session.get(Broadcast, broadcast.id).started_at
    maya = db.session.scalars(
        sa.select(Delivery).where(Delivery.guardian_id == roster["maya"].id)
    ).one()
    maya.status, maya.delivered_at = "delivered", started + timedelta(seconds=90)
    db.session.commit()
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Reach: 33% of the guardians messaged received it." in page  # 1 of 3, Sita skipped
    assert "Time to deliver: 90 seconds." in page
    assert "From" in page and "in the portal" in page


def test_a_completed_broadcast_stops_polling_a_day_after_it_finished(
    admin_portal, roster, school, recorder, db, monkeypatch
):
    broadcast = _sent(school, recorder)
    url = f"/broadcasts/{broadcast.id}/progress"
    assert 'hx-trigger="every 20s"' in _text(admin_portal.get(url, htmx=True))
    later = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "hx-trigger" not in _text(admin_portal.get(url, htmx=True))


def test_homework_carries_its_subject_to_the_parents(admin_portal, roster, db):
    homework = _form(kind="homework", subject="Science", action="preview")
    page = _text(admin_portal.post("/broadcasts/new", homework))
    assert "Homework" in page and "Subject: Science" in page
    notice = _text(admin_portal.post("/broadcasts/new", _form(subject="Science", action="preview")))
    assert "Subject: Science" not in notice  # only homework has a subject


def test_the_progress_fragment_polls_while_live_and_stops_when_done(
    admin_portal, roster, school, recorder, db
):
    broadcast = make_broadcast(school, ["5A"], scheduled_at=clock.now() + timedelta(hours=1))
    url = f"/broadcasts/{broadcast.id}/progress"
    live = admin_portal.get(url, htmx=True)
    fragment = _text(live)
    assert fragment.startswith('<section id="progress"') and "<html" not in fragment
    assert 'hx-trigger="every 3s"' in fragment and 'hx-swap="outerHTML"' in fragment
    assert f'hx-get="{url}"' in fragment
    assert "Scheduled" in fragment and "Refresh" in fragment
    assert len(live.get_data()) < 8 * 1024
    assert "HX-Request" in live.headers["Vary"]

    broadcast.scheduled_at = clock.now()
    db.session.commit()
    start_broadcast.call_local(broadcast.id)
    done = _text(admin_portal.get(url, htmx=True))
    assert "Completed" in done and "Reach: 0%" in done
    # statuses can still come for the messages Meta took: polled, less often
    assert 'hx-trigger="every 20s"' in done

    for delivery in db.session.scalars(sa.select(Delivery)):
        delivery.status = "read"
    db.session.commit()
    final = _text(admin_portal.get(url, htmx=True))
    assert "Reach: 100%" in final  # the page never freezes short of what happened
    assert "hx-trigger" not in final and "Refresh" not in final

    without_js = admin_portal.get(url)
    assert without_js.status_code == 302
    assert without_js.headers["Location"] == f"/broadcasts/{broadcast.id}"


def test_the_guardian_table_names_children_and_searches_by_name_or_phone(
    admin_portal, roster, school, recorder, db
):
    broadcast = _sent(school, recorder)
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Asha (5A)<br>Dipa (5B)" in page
    assert "Opted out (replied STOP)" in page
    assert "text" in page and "template" in page  # Maya wrote today; the others get templates
    rows = f"/broadcasts/{broadcast.id}/rows"
    found = _text(admin_portal.get(rows, query_string={"q": "maya"}, htmx=True))
    assert "Maya Gurung" in found and "Hari Thapa" not in found
    assert "<html" not in found and "Guardians found: 1" in found
    by_phone = _text(admin_portal.get(rows, query_string={"q": "984 1000 002"}, htmx=True))
    assert "Hari Thapa" in by_phone and "Maya Gurung" not in by_phone
    nobody = _text(admin_portal.get(rows, query_string={"q": "zzz"}, htmx=True))
    assert "No guardians match." in nobody
    without_js = admin_portal.get(rows, query_string={"q": "maya", "broadcast_id": "7"})
    assert without_js.headers["Location"] == f"/broadcasts/{broadcast.id}?q=maya"
    assert "Hari Thapa" not in _text(admin_portal.get(f"/broadcasts/{broadcast.id}?q=maya"))


def test_the_guardian_table_pages(admin_portal, app, school, recorder, db, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    cls = ClassFactory(school=school, grade=3, section="A")
    for n in range(5):
        guardian = GuardianFactory(school=school, name=f"Parent {n}")
        StudentGuardianFactory(student=StudentFactory(school_class=cls), guardian=guardian)
    broadcast = _sent(school, recorder, targets=["3A"])
    first = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Parent 0" in first and "Parent 2" not in first
    assert "Page 1 of 3" in first
    second = _text(admin_portal.get(f"/broadcasts/{broadcast.id}/rows?page=2", htmx=True))
    assert "Parent 2" in second and "Parent 0" not in second


def test_failures_are_grouped_by_reason(admin_portal, roster, school, recorder, db):
    recorder.fail("+9779841000002", graph_error(131026))
    recorder.fail("+9779841000004", graph_error(131026))
    broadcast = _sent(school, recorder)
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    section = page[page.index("Failures by reason") :]
    not_on_whatsapp = _reason(131026)
    group = f'<td>{not_on_whatsapp}</td><td class="num">131026</td><td class="num">2</td>'
    assert group in section
    assert page.count(not_on_whatsapp) == 3  # the group, and each of the two guardians' rows
    assert "<strong>2</strong> Failed" in page


def test_cancel_a_scheduled_broadcast(admin_portal, admin, roster, school, recorder, db):
    broadcast = make_broadcast(school, ["5A"], scheduled_at=clock.now() + timedelta(hours=1))
    page = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Cancel this broadcast" in page
    response = admin_portal.post(f"/broadcasts/{broadcast.id}/cancel")
    assert response.status_code == 302
    assert _only_broadcast(db).status == "cancelled"
    (entry,) = _audit(db, "broadcast.cancel")
    assert entry.changes == {"status": ["scheduled", "cancelled"]}
    page = _text(admin_portal.get(response.headers["Location"]))
    assert "Cancelled. Parents who have not received it yet will not get it." in page
    assert "Cancel this broadcast" not in page and "every 3s" not in page
    assert start_broadcast.call_local(broadcast.id) is False and recorder.sent == []

    again = admin_portal.post(f"/broadcasts/{broadcast.id}/cancel", follow_redirects=True)
    assert "It can no longer be cancelled" in _text(again)
    assert len(_audit(db, "broadcast.cancel")) == 1


# List ---------------------------------------------------------------------------------------


def test_the_list_is_newest_first_with_counts_in_a_fixed_number_of_queries(
    admin_portal, roster, school, recorder, db, app
):
    first = _sent(school, recorder, targets=["5A"])
    make_broadcast(school, ["6"], kind="event", scheduled_at=clock.now() + timedelta(days=1))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = _text(admin_portal.get("/broadcasts/"))
        few = [q for q in statements if "FROM deliveries" in q]
        for _ in range(4):
            _sent(school, recorder, targets=["5B"])
        statements.clear()
        admin_portal.get("/broadcasts/")
        many = [q for q in statements if "FROM deliveries" in q]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(few) == len(many) == 1  # the counts of a whole page in one query
    rows = page[page.index("<tbody>") :]  # not the head, whose CSRF token may hold "5A"
    assert rows.index("Grade 6") < rows.index("5A")
    assert "Event" in page and "Scheduled" in page and "Completed" in page
    assert "2 sent" in page and "of 2" in page
    assert f'href="/broadcasts/{first.id}"' in page


def test_the_list_pages_with_htmx(admin_portal, app, school, db, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    ClassFactory(school=school)
    made = [make_broadcast(school, ["ALL"], body_en=f"Number {n}") for n in range(3)]
    fragment = _text(admin_portal.get("/broadcasts/?page=2", htmx=True))
    assert "<html" not in fragment and f'/broadcasts/{made[0].id}"' in fragment
    assert f'/broadcasts/{made[2].id}"' not in fragment


# Tenancy and language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/broadcasts/{id}"),
        ("get", "/broadcasts/{id}/progress"),
        ("get", "/broadcasts/{id}/rows"),
        ("post", "/broadcasts/{id}/cancel"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_school_s_broadcast_is_not_found(admin_portal, db, method, url, htmx):
    other = SchoolFactory()
    ClassFactory(school=other)
    theirs = make_broadcast(other, ["ALL"], scheduled_at=clock.now() + timedelta(hours=1))
    response = getattr(admin_portal, method)(url.format(id=theirs.id), htmx=htmx)
    assert response.status_code == 404
    assert _only_broadcast(db).status == "scheduled"


def test_the_list_shows_only_the_school_s_own_broadcasts(admin_portal, school, db):
    other = SchoolFactory()
    ClassFactory(school=other)
    ClassFactory(school=school)
    make_broadcast(other, ["ALL"], body_en="Their notice")
    mine = make_broadcast(school, ["ALL"], body_en="Our notice")
    page = _text(admin_portal.get("/broadcasts/"))
    assert f'/broadcasts/{mine.id}"' in page
    assert re.findall(r'href="/broadcasts/(\d+)"', page) == [str(mine.id)]


def test_a_nepali_reader_sees_devanagari_digits(portal, roster, school, recorder, db):
    broadcast = _sent(school, recorder)
    portal.login(UserFactory(school=school, role="admin", language="ne"))
    page = _text(portal.get(f"/broadcasts/{broadcast.id}"))
    assert "<strong>३</strong>" in page and "<strong>४</strong>" in page
    assert "<strong>3</strong>" not in page
    assert "५क" in page  # class names too
    assert 'lang="ne"' in page
    assert "५क" in _text(portal.get("/broadcasts/new"))
    for url in ("/broadcasts/", "/"):  # "of 4" in the lists' counts
        listed = _text(portal.get(url))
        assert "४" in listed and ">4<" not in listed


def test_the_date_box_shows_the_bikram_sambat_date(admin_portal):
    response = admin_portal.get("/broadcasts/bs-date?send_date=2025-11-23", htmx=True)
    assert _text(response) == "23 Nov 2025 · 7 Mangsir 2082"
    bad = admin_portal.get("/broadcasts/bs-date?send_date=2025-02-30", htmx=True)
    assert _text(bad) == "There is no such date."


# Dashboard ----------------------------------------------------------------------------------


def _paused_with_waiting_messages(school, db) -> Broadcast:
    """A broadcast fanned out but not sent, then Meta pauses the school (code 131048)."""
    broadcast = make_broadcast(school, ["5A"])
    assert dispatch.claim(broadcast.id)
    dispatch.fan_out(broadcast)
    alerts.raise_for(school_id=school.id, code=131048, pause=True, details="spam rate limit")
    db.session.commit()
    return broadcast


def test_the_dashboard_shows_a_pause_and_resume_sends_what_waited(
    admin_portal, admin, roster, school, recorder, db
):
    broadcast = _paused_with_waiting_messages(school, db)
    page = _text(admin_portal.get("/"))
    assert f"Sending is paused: {_reason(131048)}" in page
    assert "Resume sending" in page
    assert f'href="/broadcasts/{broadcast.id}"' in page  # the latest broadcasts
    detail = _text(admin_portal.get(f"/broadcasts/{broadcast.id}"))
    assert "Sending is paused for this school." in detail and "every 3s" in detail

    response = admin_portal.post("/resume-sending")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(School, school.id).sending_paused_at is None
    assert _count(db, Alert, Alert.resolved_at.is_(None)) == 0
    (entry,) = _audit(db, "school.resume_sending")
    assert entry.user_id == admin.id
    assert sorted(m["to"] for m in recorder.sent) == ["9779841000001", "9779841000002"]
    page = _text(admin_portal.get("/"))
    assert "Sending resumed." in page and "Sending is paused" not in page
    assert "resumed sending after a pause" in _text(admin_portal.get("/audit/"))


@pytest.mark.parametrize("role", ["staff", "teacher"])
def test_only_admins_resume_sending(portal, login_as, roster, school, db, role):
    _paused_with_waiting_messages(school, db)
    login_as(role)
    page = _text(portal.get("/"))
    assert "Sending is paused" in page and "Resume sending" not in page
    assert portal.post("/resume-sending").status_code == 403
    assert db.session.get(School, school.id).sending_paused_at is not None


def test_the_nav_links_to_broadcasts(admin_portal):
    assert 'href="/broadcasts/"' in _text(admin_portal.get("/"))


def test_deliveries_counted_together_match_the_api_counts(roster, school, recorder, db):

    one = _sent(school, recorder)
    two = make_broadcast(school, ["5A"], scheduled_at=clock.now() + timedelta(hours=1))
    together = delivery_counts.of_broadcasts([one.id, two.id])
    assert together[one.id] == delivery_counts.of_broadcast(one.id)
    assert (
        together[two.id]
        == delivery_counts.of_broadcast(two.id)
        == dict.fromkeys(together[two.id], 0)
    )
    assert _count(db, Delivery, Delivery.broadcast_id == one.id) == 4
