"""Page weight on a slow link: the students page of the demo school, signed in, on a first
visit (empty cache) transfers under 50 KB in all, and one HTMX search under 8 KB."""

import pytest
import sqlalchemy as sa

from bench.page_weight import (
    FIRST_VISIT_BUDGET,
    INTERACTION_BUDGET,
    first_visit,
    fragment,
    report,
    rows_shown,
)
from portal.models import User
from portal.services.school import demo


@pytest.fixture
def demo_portal(portal, db):
    """Signed in as the demo school's admin."""
    demo.seed_demo()
    db.session.commit()
    admin = db.session.scalar(sa.select(User).where(User.email == demo.USERS[0][0]))
    portal.login(admin, password=demo.PASSWORD)
    return portal


@pytest.mark.parametrize("language", ["ne", "en"])
def test_the_students_page_fits_the_budgets(demo_portal, app, language):
    demo_portal.post("/language", {"lang": language, "next": "/"})
    resources = first_visit(demo_portal.client, "/students/")
    search = fragment(demo_portal.client)
    table, _ok = report(resources, search)

    assert resources[0].kind == "html" and {"css", "js"} <= {r.kind for r in resources}, table
    assert {r.encoding for r in resources} <= {"br", "gzip"}, table
    assert f'lang="{language}"' in resources[0].text
    assert rows_shown(resources[0]) == app.config["PAGE_SIZE"]  # a full page of students
    assert sum(r.wire for r in resources) < FIRST_VISIT_BUDGET, table

    assert "<html" not in search.text and search.encoding in ("br", "gzip"), table
    assert rows_shown(search) == app.config["PAGE_SIZE"]
    assert search.wire < INTERACTION_BUDGET, table
