"""The nightly follow-up with Meta catches what webhooks missed: an approval whose webhook
never came is read back and the parents waiting for it go; a template shipped after the
first sync is submitted; a raised limit is read; one school Meta refuses does not stop the
others."""

import sqlalchemy as sa

from portal.models import AuditLog, Delivery, School
from portal.services.delivery.reasons import NO_TEMPLATE
from portal.services.waba import template_sync
from portal.services.wording import template_texts
from portal.tasks.accounts import follow_up_accounts
from tests.factories import (
    ClassFactory,
    GuardianFactory,
    SchoolFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from tests.helpers import make_broadcast, run_senders, start
from tests.services.waba.conftest import WABA


def school_with_parent(**kwargs) -> School:
    """A school with its account and one English-reading parent outside their window."""
    school = SchoolFactory(waba_id=WABA, template_fallback_language="en", **kwargs)
    cls = ClassFactory(school=school, grade=5, section="A")
    student = StudentFactory(school_class=cls, roll=1, name="Child")
    guardian = GuardianFactory(school=school, language="en", name="Parent")
    StudentGuardianFactory(student=student, guardian=guardian, school_id=school.id)
    return school


def test_an_approval_whose_webhook_was_missed_is_read_back_at_night_and_the_parents_go(
    db, meta, graph
):
    school = school_with_parent()
    meta.configure(numbers={school.phone_number_id: {}}, messaging_tier="TIER_UNLIMITED")
    template_sync.sync_templates(school=school, graph=graph)
    db.session.commit()
    broadcast = make_broadcast(school, ["5A"])
    start(broadcast)
    [waiting] = db.session.scalars(sa.select(Delivery).where(Delivery.broadcast_id == broadcast.id))
    assert (waiting.status, waiting.error_reason) == ("pending", NO_TEMPLATE)
    for template in meta.accounts.templates.values():
        template["status"] = "APPROVED"  # Meta approved them; its webhook never arrived
    counts = follow_up_accounts.call_local()
    assert counts["templates_synced"] == 1 and counts["templates_submitted"] == 0
    run_senders()
    [sent] = meta.messages()
    assert (sent["template"], sent["params"]["message"]) == (
        "sandesh_notice",
        "School is closed tomorrow.",
    )


def test_a_template_shipped_after_the_first_sync_is_submitted_by_the_nightly_follow_up(
    db, meta, graph, monkeypatch
):
    school = school_with_parent()
    everything = template_texts.all_shipped()
    older = [t for t in everything if t.purpose != "reminder"]
    monkeypatch.setattr(template_sync, "all_shipped", lambda: older)
    template_sync.sync_templates(school=school, graph=graph)
    db.session.commit()
    english = [t for t in everything if t.language == "en"]  # what its parents read
    assert meta.stats()["templates_created"] == len(english) - 1
    monkeypatch.setattr(template_sync, "all_shipped", lambda: everything)
    counts = follow_up_accounts.call_local()
    assert counts["templates_submitted"] == 1
    assert meta.stats()["templates_created"] == len(english)
    assert ("sandesh_reminder", "en") in {(n, lang) for _w, n, lang in meta.accounts.templates}
    [entry] = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "templates.sync", AuditLog.actor == "system")
    )
    assert "sandesh_reminder" in entry.changes["submitted"][1]


def test_the_limit_meta_raised_is_read_at_night_and_a_refused_school_does_not_stop_the_others(
    db, meta
):
    school = school_with_parent(messaging_tier="TIER_250")
    refused = SchoolFactory(phone_number_id="999000111", messaging_tier="TIER_250")
    known = {"display_phone_number": "+977 1-4000000", "verified_name": "School"}
    meta.configure(messaging_tier="TIER_1K", numbers={school.phone_number_id: known})
    counts = follow_up_accounts.call_local()
    assert (counts["checked"], counts["failed"]) == (1, 1)
    db.session.expire_all()
    assert db.session.get(School, school.id).messaging_tier == "TIER_1K"
    assert db.session.get(School, refused.id).messaging_tier == "TIER_250"
