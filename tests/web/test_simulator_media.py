"""In the sandbox a new user sees the real thing: a broadcast's photo or PDF appears on the
parent's phone in the simulator, from the bytes the sandbox kept."""

import sqlalchemy as sa

from portal.models import Delivery, MediaUpload
from portal.services.common import clock
from portal.services.media import files
from portal.tasks.delivery import start_broadcast
from tests import media_samples
from tests.factories import ClassFactory, GuardianFactory, StudentFactory, StudentGuardianFactory
from tests.helpers import make_broadcast, run_senders


def _guardian(school, phone, **kwargs):
    cls = ClassFactory(school=school, grade=5, section="A")
    guardian = GuardianFactory(school=school, name="Sita", phone="+" + phone, **kwargs)
    StudentGuardianFactory(student=StudentFactory(school_class=cls), guardian=guardian)
    return guardian


def test_the_photo_shows_on_the_parents_phone(db, admin_portal, school):
    _guardian(school, "9779841000222", language="en", last_inbound_at=clock.now())
    photo = files.accept(
        school=school,
        data=media_samples.small_photo(),
        filename="day.jpg",
        declared="image/jpeg",
        source="portal",
    )
    db.session.commit()
    broadcast = make_broadcast(school, ["5A"], body_en="Sports day", media_file_id=photo.id)
    start_broadcast.call_local(broadcast.id)
    run_senders()
    assert db.session.scalars(sa.select(Delivery.sent_as)).all() == ["image"]
    assert db.session.scalars(sa.select(MediaUpload.media_id)).one().startswith("sandbox-media.")
    page = admin_portal.get("/simulator/9779841000222").get_data(as_text=True)
    assert f'<img class="bubble-media" src="/media/{photo.id}"' in page
    assert "Sports day" in page
    image = admin_portal.get(f"/media/{photo.id}")
    assert image.status_code == 200 and image.get_data() == files.read(photo)


def test_a_pdf_outside_the_window_shows_as_the_template_with_its_file(db, admin_portal, school):
    _guardian(school, "9779841000333", language="ne")
    routine = files.accept(
        school=school,
        data=media_samples.pdf(2),
        filename="routine.pdf",
        declared="application/pdf",
        source="portal",
    )
    db.session.commit()
    start_broadcast.call_local(make_broadcast(school, ["5A"], media_file_id=routine.id).id)
    run_senders()
    page = admin_portal.get("/simulator/9779841000333").get_data(as_text=True)
    assert "routine.pdf" in page and "sandesh_notice_document" in page
    assert "भोलि विद्यालय बन्द छ।" in page
