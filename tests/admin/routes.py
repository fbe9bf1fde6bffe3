"""Walking the URL map the way a curious outsider would: shared by the tenancy, security and admin tests.

Every rule comes from `app.url_map`, never from a hand-made list, so a route added tomorrow (core or
plugin) is walked the day it is added. Its arguments are filled with rows of Silkeborg, the municipality
whose data must not leak; an argument this module cannot fill fails the test with a message saying
where to teach it, instead of quietly skipping the route.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_admin import BaseView
from sqlalchemy import select
from sqlalchemy.orm import Mapper
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from broen.calendar.views import PUBLIC_FEEDS
from broen.core import accounts
from broen.core.db import Base
from broen.core.models import Citizen, Membership, Municipality, User

#: The municipality whose data the walks try to reach from outside.
TARGET = "silkeborg"
#: The municipality the outsiders work in.
OUTSIDER = "norddjurs"
#: Methods a rule answers that say nothing about it.
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

#: Routes anyone may open, with the reason. Every other route needs a login, and a role for its data.
PUBLIC_ENDPOINTS = {
    "static": "the app's own CSS, JavaScript and images",
    "admin.static": "Flask-Admin's CSS and JavaScript",
    "auth.login": "where people log in",
    "core.health": "the load balancer's health check; it answers only 'ok'",
    "core.ready": "the load balancer's readiness check; it answers only 'ready' or why not",
    "core.metrics": "Prometheus scrapes it (a 404 unless [metrics] is on): counts by URL rule, no personal data",
    "calendar.personal_feed": "a calendar app cannot log in: the secret token in the URL is the key",
    "invitations.accept_page": "a citizen without a log-in yet makes one here: the invitation's token is the key",
    "invitations.use_account": "the same invitation link, used with the account of whoever is logged in",
}
PUBLIC_PREFIX = "/<municipality>/public/"
PUBLIC_PREFIX_REASON = "a municipality's public pages and feeds (DESIGN.md: they never name a citizen)"


def public_reason(rule: Rule) -> str | None:
    """Why `rule` is open to everyone, or None if it is not."""
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC_ENDPOINTS[rule.endpoint]
    if rule.endpoint.endswith(".static"):
        return "a plugin's static files"
    if rule.rule.startswith(PUBLIC_PREFIX):
        return PUBLIC_PREFIX_REASON
    return None


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - IGNORED_METHODS)


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def is_admin_rule(rule: Rule) -> bool:
    return rule.rule == "/admin" or rule.rule.startswith("/admin/")


def municipality(app: Flask, slug: str) -> Municipality:
    db = app.extensions["broen.db"]
    with app.app_context():
        found: Municipality = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
    return found


def enable_every_plugin(app: Flask) -> None:
    """Turn every installed plugin on everywhere: a route of a plugin that is off proves nothing."""
    db = app.extensions["broen.db"]
    with app.app_context():
        for m in db.session.scalars(select(Municipality)).all():
            for name in app.extensions["broen.plugins"].names:
                accounts.set_plugin_enabled(db, m, name, True)


# --- rows of the target municipality -----------------------------------------------------------------


def _example_tip(app: Flask) -> None:
    from broen_example import Tip  # the test plugin (tests/plugins), found through conftest's sys.path

    db = app.extensions["broen.db"]
    with app.app_context():
        db.session.add(Tip(municipality_id=municipality(app, TARGET).id, text="Tip only Silkeborg may read"))
        db.session.commit()


def _cafe_course(app: Flask) -> None:
    """A café course with its sessions, the target's first citizen on it (marked present at the first
    session) and an item on its agenda."""
    from datetime import date, time

    from broen.plugins.cafe import program, services
    from broen.plugins.cafe.models import Attendance, Signup, SignupStatus

    db = app.extensions["broen.db"]
    target = municipality(app, TARGET)
    with app.app_context():
        course = services.create_course(
            db, target, None, title="Café only Silkeborg may see", first_date=date(2030, 1, 8), start=time(17)
        )
        citizen_id = db.session.scalars(
            select(Citizen.id).where(Citizen.municipality_id == target.id)
        ).first()
        # Straight in: the world's citizens have no flex job, which sign_up would (rightly) refuse.
        db.session.add(
            Signup(
                municipality_id=target.id,
                course_id=course.id,
                citizen_id=citizen_id,
                status=SignupStatus.CONFIRMED,
            )
        )
        db.session.add(
            Attendance(
                municipality_id=target.id,
                session_id=course.sessions[0].id,
                citizen_id=citizen_id,
                present=True,
            )
        )
        db.session.commit()
        program.add_item(db, course, None, title="Topic only Silkeborg may see", session=course.sessions[0])


def _mentors_mentor(app: Flask) -> None:
    """A mentor in the target's pool (with the first entry of their status history)."""
    from broen.plugins.mentors import services as mentor_services
    from broen.plugins.mentors.models import MentorStatus

    db = app.extensions["broen.db"]
    with app.app_context():
        data = mentor_services.MentorData(name="Mentor only Silkeborg may see", background="employed")
        mentor_services.create_mentor(db, municipality(app, TARGET), None, data, status=MentorStatus.APPROVED)


def _mentors_match(app: Flask) -> None:
    """A mentor of the target with an active match with the target's first citizen (whose wishes are
    recorded), a planned and a logged meeting, and a volunteer's application in the intake list."""
    from datetime import time, timedelta

    from broen.plugins.mentors import services as mentor_services
    from broen.plugins.mentors.models import Application, ContactForm, MentorStatus

    db = app.extensions["broen.db"]
    target = municipality(app, TARGET)
    with app.app_context():
        data = mentor_services.MentorData(name="Matched mentor only Silkeborg may see", background="retired")
        mentor = mentor_services.create_mentor(db, target, None, data, status=MentorStatus.APPROVED)
        citizen = db.session.scalars(select(Citizen).where(Citizen.municipality_id == target.id)).first()
        assert citizen is not None
        mentor_services.set_wishes(
            db, citizen, None, interests="fishing", note="Wish only Silkeborg may read"
        )
        match = mentor_services.propose(db, mentor, citizen, None)
        mentor_services.agree(db, match, None, mentor_services.CITIZEN)
        mentor_services.agree(db, match, None, mentor_services.MENTOR)
        walk = int(ContactForm.WALK)
        mentor_services.activate(db, match, None, frequency_days=14, contact_form=walk, shared="Likes walks")
        today = mentor_services.local_today(target)
        mentor_services.log_meeting(
            db, match, None, mentor_services.MeetingData(today, 60, walk, note="Walked")
        )
        later = mentor_services.MeetingData(today + timedelta(days=7), 60, walk, at=time(10))
        mentor_services.plan_meeting(db, match, None, later)
        db.session.add(
            Application(
                municipality_id=target.id,
                name="Applicant only Silkeborg may see",
                email="applicant@example.org",
                background="student",
                consent_text="I agree.",
            )
        )
        db.session.commit()


def _relatives(app: Flask) -> None:
    """A relative of the target's first citizen (with the citizen's consent), referred to a group course
    that has a session, and a referral from the public form in the intake queue."""
    from datetime import date, time

    from broen.plugins.relatives import courses
    from broen.plugins.relatives import services as rs
    from broen.plugins.relatives.models import Intake

    db = app.extensions["broen.db"]
    target = municipality(app, TARGET)
    with app.app_context():
        citizen = db.session.scalars(select(Citizen).where(Citizen.municipality_id == target.id)).first()
        assert citizen is not None
        course = courses.create_course(
            db, target, None, courses.CourseData(title="Course only Silkeborg may see", kind="group_course")
        )
        courses.add_session(db, course, None, day=date(2030, 1, 8), start=time(17), minutes=120)
        consent = rs.ConsentData(date(2026, 1, 5), "written", refer_to_counselling=True)
        relative = rs.add_relative(
            db, citizen, None, consent, rs.RelativeData("Relative only Silkeborg may see", "parent")
        )
        rs.propose_referral(db, relative, None, "group_course", course_id=course.id)
        db.session.add(
            Intake(
                municipality_id=target.id,
                referrer_name="Referrer only Silkeborg may see",
                person_name="Person only Silkeborg may see",
                consent_text="I agree.",
            )
        )
        db.session.commit()


def _municipal_fields(app: Flask) -> None:
    """A field on the target's citizens, with a value for its first citizen."""
    from broen.plugins.municipal_fields.models import FieldDefinition, FieldValue

    db = app.extensions["broen.db"]
    target = municipality(app, TARGET)
    with app.app_context():
        citizen_id = db.session.scalars(
            select(Citizen.id).where(Citizen.municipality_id == target.id)
        ).first()
        field = FieldDefinition(
            municipality_id=target.id,
            target="citizen",
            key="silkeborg_only",
            label_da="Kun Silkeborg",
            label_en="Silkeborg only",
            type="text",
            see_roles=["admin", "coordinator"],
            edit_roles=["admin", "coordinator"],
        )
        db.session.add(field)
        db.session.flush()
        db.session.add(
            FieldValue(
                municipality_id=target.id,
                field_id=field.id,
                record_id=citizen_id,
                value="Value only Silkeborg may see",
            )
        )
        db.session.commit()


def _target_citizen(app: Flask) -> Citizen:
    """The target's first citizen, in the current (request) context's session."""
    db = app.extensions["broen.db"]
    citizen = db.session.scalars(
        select(Citizen).join(Municipality).where(Municipality.slug == TARGET).order_by(Citizen.id)
    ).first()
    assert citizen is not None
    return citizen


def _contacts(app: Flask) -> None:
    """A contact, a WHO-5 measurement and a chosen rhythm of the target's first citizen."""
    from broen.plugins.contacts import services as cs

    db = app.extensions["broen.db"]
    with app.test_request_context(f"/{TARGET}/"):
        citizen = _target_citizen(app)
        cs.log_contact(db, citizen, None, cs.ContactData(date(2026, 1, 5), "walk", "citizen", ""))
        cs.record_who5(db, citizen, None, date(2026, 1, 5), [3] * 5)
        cs.set_rhythm(db, citizen, None, 1)


def _employers(app: Flask) -> None:
    """A company, an interest, a contact and a flex job (with its check-ins) of the target's first citizen."""
    from broen.plugins.employers import services as es

    db = app.extensions["broen.db"]
    with app.test_request_context(f"/{TARGET}/"):
        citizen = _target_citizen(app)
        company = es.create_company(
            db, citizen.municipality, None, es.CompanyData("Company only Silkeborg may see")
        )
        es.add_interest(db, citizen, None, company)
        es.record_contact(db, citizen, None, company, date(2026, 1, 5), "flex_job")
        es.record_placement(db, citizen, None, company, es.PlacementData("flexjob", date(2026, 1, 12), "10"))


def _outcomes(app: Flask) -> None:
    """A target of the target municipality."""
    from broen.plugins.outcomes import services as os_

    with app.test_request_context(f"/{TARGET}/"):
        target = _target_citizen(app).municipality
        os_.save_targets(target, [os_.Target("outcomes.enrolled", count=70)], None)


def _pages(app: Flask) -> None:
    """A draft page of the target, saved twice (two versions): only the target's writers may see it; and
    a news item published to the target's own staff (its news list, start-page panel and feed)."""
    from broen.plugins.pages import services as ps
    from broen.plugins.pages.models import Audience, Kind

    db = app.extensions["broen.db"]
    with app.test_request_context(f"/{TARGET}/"):
        target = _target_citizen(app).municipality
        page = ps.create_page(db, target, None, ps.PageData("Page only Silkeborg may see", "First text"))
        ps.update_page(db, page, None, ps.PageData(page.title, "First text\n\nSecond text", page.slug))
        news = ps.PageData("News only Silkeborg may see", "Text", news_date=date(2026, 1, 5))
        ps.publish(db, ps.create_page(db, target, None, news, kind=Kind.NEWS), None, Audience.MUNICIPALITY)


def _pages_attachment(app: Flask) -> None:
    """A PDF on a page published to the target's own staff. On PostgreSQL the files go to a temporary
    folder (on SQLite they lie next to the test's database)."""
    import tempfile

    from broen.plugins.pages import attachments
    from broen.plugins.pages import services as ps
    from broen.plugins.pages.models import Audience, Page

    db = app.extensions["broen.db"]
    if db.engine.dialect.name != "sqlite":
        app.config.setdefault(attachments.STORAGE_SETTING, tempfile.mkdtemp(prefix="broen-pages-files-"))
    with app.test_request_context(f"/{TARGET}/"):
        target = _target_citizen(app).municipality
        if db.session.scalar(select(Page.id).where(Page.municipality_id == target.id).limit(1)) is None:
            _pages(app)  # whichever table is seeded first, the pages' own rows are the ones made there
        page = ps.create_page(db, target, None, ps.PageData("Page with a file of Silkeborg", "Text"))
        ps.publish(db, page, None, Audience.MUNICIPALITY)
        attachments.add_attachment(db, page, None, "plan.pdf", b"%PDF-1.4\n%%EOF\n")


#: Tenant tables whose rows the `world` fixture does not create, by table name: how to make one in the
#: target municipality. A plugin that adds a route or admin view over a new table adds its row here.
ROW_FACTORIES: dict[str, Callable[[Flask], None]] = {
    "example_tip": _example_tip,
    "cafe_course": _cafe_course,
    "cafe_session": _cafe_course,
    "cafe_signup": _cafe_course,
    "cafe_attendance": _cafe_course,
    "cafe_agenda_item": _cafe_course,
    "mentors_mentor": _mentors_mentor,
    "mentors_status_change": _mentors_mentor,
    "mentors_citizen_wishes": _mentors_match,
    "mentors_match": _mentors_match,
    "mentors_meeting": _mentors_match,
    "mentors_application": _mentors_match,
    "relatives_relative": _relatives,
    "relatives_referral": _relatives,
    "relatives_intake": _relatives,
    "relatives_course": _relatives,
    "relatives_course_session": _relatives,
    "municipal_fields_field": _municipal_fields,
    "municipal_fields_value": _municipal_fields,
    "contacts_contact": _contacts,
    "contacts_who5": _contacts,
    "contacts_rhythm": _contacts,
    "employers_company": _employers,
    "employers_interest": _employers,
    "employers_contact": _employers,
    "employers_placement": _employers,
    "employers_task": _employers,
    "outcomes_target": _outcomes,
    "pages_page": _pages,
    "pages_version": _pages,
    "pages_attachment": _pages_attachment,
}


def tenant_tables() -> dict[str, type[Any]]:
    """Mapped classes with a `municipality_id`, by table name."""
    found = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if table and "municipality_id" in mapper.columns and "id" in mapper.columns:
            found[table] = cls
    return found


def seed_target_rows(app: Flask) -> None:
    """At least one row of the target municipality in every tenant table (ROW_FACTORIES fills gaps)."""
    target = municipality(app, TARGET).id
    db = app.extensions["broen.db"]
    for table, cls in tenant_tables().items():
        with app.app_context():
            present = db.session.scalar(select(cls.id).where(cls.municipality_id == target).limit(1))
        if present is None and table in ROW_FACTORIES:
            ROW_FACTORIES[table](app)


def target_row_ids(app: Flask, model: type[Any]) -> list[int]:
    """Ids of the target municipality's rows of `model`, as an admin view lists them."""
    db = app.extensions["broen.db"]
    target = municipality(app, TARGET)
    with app.app_context():
        if model is Municipality:
            return [target.id]
        if model is User:
            # Staff of the target only: an account that also works elsewhere is (rightly) visible there.
            elsewhere = select(Membership.user_id).where(Membership.municipality_id != target.id)
            stmt = select(User.id).where(
                User.id.in_(select(Membership.user_id).where(Membership.municipality_id == target.id)),
                User.id.not_in(elsewhere),
            )
            return list(db.session.scalars(stmt))
        mapper: Mapper[Any] = model.__mapper__
        if "municipality_id" not in mapper.columns:
            pytest.fail(
                f"tests/admin/routes.py does not know which {model.__name__} rows belong to a "
                "municipality: teach target_row_ids()"
            )
        ids = list(db.session.scalars(select(model.id).where(model.municipality_id == target.id)))
    if not ids:
        pytest.fail(
            f"no {TARGET} row of {model.__name__} ({mapper.local_table.name}) to try to reach: add a "
            "factory for it to ROW_FACTORIES in tests/admin/routes.py"
        )
    return ids


# --- filling rule arguments --------------------------------------------------------------------------


def _static_file(app: Flask, rule: Rule) -> str:
    blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
    folder = app.static_folder if blueprint is None else app.blueprints[blueprint].static_folder
    if rule.endpoint == "admin.static":
        import flask_admin

        folder = os.path.join(os.path.dirname(flask_admin.__file__), "static")
    assert folder, f"{rule.rule}: no static folder"
    for root, _dirs, files in sorted(os.walk(folder)):
        for name in sorted(files):
            if name.endswith((".css", ".js", ".svg")):
                return os.path.relpath(os.path.join(root, name), folder)
    pytest.fail(f"{rule.rule}: no file in {folder}")


def _plugin_name(app: Flask) -> str:
    return str(app.extensions["broen.plugins"].names[0])


def _tenant_row(app: Flask, rule: Rule, argument: str) -> int:
    """`<int:course_id>`: a target row of the tenant table named `course` or `<plugin>_course`; when
    several plugins have one, the table of the plugin whose blueprint the rule is on."""
    stem = argument.removesuffix("_id")
    candidates = [
        cls for table, cls in tenant_tables().items() if table == stem or table.endswith(f"_{stem}")
    ]
    plugin = rule.endpoint.split(".", 1)[0].split("_", 1)[0]
    if len(candidates) > 1:
        candidates = [c for c in candidates if c.__tablename__.startswith(f"{plugin}_")]
    if len(candidates) != 1:
        pytest.fail(
            f"{rule.rule}: cannot tell which table <{argument}> points into (tables: "
            f"{[c.__tablename__ for c in candidates] or 'none'}); add a filler to FILLERS in "
            "tests/admin/routes.py"
        )
    return target_row_ids(app, candidates[0])[0]


#: How to fill an argument, by name: (value, whether the value names a row of the target municipality).
FILLERS: dict[str, Callable[[Flask, Any, Rule], tuple[Any, bool]]] = {
    "municipality": lambda app, world, rule: (TARGET, False),
    "citizen_id": lambda app, world, rule: (world.citizens[TARGET][0], True),
    "feed": lambda app, world, rule: (PUBLIC_FEEDS[0], False),
    # a static file's path; for a page's file (/<municipality>/pages/<id>/files/<id>/<filename>) its name
    "filename": lambda app, world, rule: (
        (_static_file(app, rule), False) if rule.endpoint.endswith("static") else ("plan.pdf", False)
    ),
    # /admin/plugins/<int:municipality_id>/<plugin>/...: the target municipality and an installed plugin
    "municipality_id": lambda app, world, rule: (municipality(app, TARGET).id, True),
    "plugin": lambda app, world, rule: (_plugin_name(app), False),
    "export_type": lambda app, world, rule: ("csv", False),
    # /feeds/<token>.ics: a token nobody was given (tests/calendar/test_feeds.py tests real ones)
    "token": lambda app, world, rule: ("not-a-real-token", False),
    # /<municipality>/municipal_fields/<int:field_id>/move/<any(up, down):direction>
    "direction": lambda app, world, rule: ("up", False),
}


def fill(app: Flask, world: Any, rule: Rule, slug: str = TARGET) -> tuple[str, bool]:
    """The path of `rule` with every argument filled, and whether it names a row of the target.

    Fails the test, naming the rule, if an argument cannot be filled: a new route must be taught here
    rather than slip past the walk.
    """
    values: dict[str, Any] = {}
    names_row = False
    for argument in sorted(rule.arguments):
        if argument in FILLERS:
            value, is_row = FILLERS[argument](app, world, rule)
        elif argument.endswith("_id") and isinstance(rule._converters[argument], IntegerConverter):
            value, is_row = _tenant_row(app, rule, argument), True
        else:
            pytest.fail(
                f"{rule.rule} ({rule.endpoint}): no way to fill <{argument}>; add one to FILLERS in "
                "tests/admin/routes.py so the tenancy and CSRF walks cover this route"
            )
        values[argument] = value
        names_row = names_row or is_row
    if "municipality" in values:
        values["municipality"] = slug
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"{rule.rule}: cannot build with {values}"
    return built[1], names_row


# --- requests and what a response may be -------------------------------------------------------------


def call(client: Any, method: str, path: str, data: dict[str, Any] | None = None) -> TestResponse:
    """One request, its body read and the response closed (static files are sent from open files)."""
    if method == "GET":
        response: TestResponse = client.get(path)
    else:
        response = client.open(path, method=method, data=data or {})
    response.get_data()
    response.close()
    return response


def is_login_redirect(response: TestResponse) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and urlsplit(response.location).path == "/login"


def secrets_of(app: Flask, slug: str = TARGET) -> list[str]:
    """Strings that identify people of a municipality: its citizens' names and e-mails, its staff's."""
    db = app.extensions["broen.db"]
    m = municipality(app, slug)
    with app.app_context():
        citizens = db.session.execute(
            select(Citizen.name, Citizen.email).where(Citizen.municipality_id == m.id)
        ).all()
        staff = db.session.execute(
            select(User.name, User.email).join(Membership).where(Membership.municipality_id == m.id)
        ).all()
    found = {value for row in [*citizens, *staff] for value in row if value}
    assert len(found) >= 6, "the world should have citizens and staff to look for"
    return sorted(found)


def leaked(response: TestResponse, secrets: list[str]) -> list[str]:
    body = response.get_data(as_text=True)
    return [s for s in secrets if s in body]


# --- the database before and after -------------------------------------------------------------------


def snapshot(app: Flask, skip: tuple[str, ...] = ("login_failure",)) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but `skip`), read on a connection of its own."""
    engine = app.extensions["broen.db"].engine
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


def differences(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        table: {
            "gone": [r for r in rows if r not in after[table]],
            "new": [r for r in after[table] if r not in rows],
        }
        for table, rows in before.items()
        if rows != after[table]
    }


# --- Flask-Admin -------------------------------------------------------------------------------------


def admin_views(app: Flask) -> list[BaseView]:
    (admin,) = app.extensions["admin"]
    return list(admin._views)


def admin_view(app: Flask, endpoint: str) -> BaseView:
    blueprint = endpoint.split(".", 1)[0]
    for view in admin_views(app):
        if view.endpoint == blueprint:
            return view
    pytest.fail(f"no admin view serves {endpoint}")


def admin_rules(app: Flask) -> Iterator[Rule]:
    for rule in rules(app):
        if is_admin_rule(rule) and rule.endpoint != "admin.static":
            yield rule
