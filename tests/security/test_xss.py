"""XSS payloads in every free-text field are escaped on every page that shows them.

Complete by construction: every String/Text column of every table (core and plugins, from
`Base.metadata`) is either overwritten straight in the database with a script payload carrying a marker
of its own, or kept with the reason in `KEPT`; a new column that is neither fails the test. Then every
GET route of the URL map (core, plugins and /admin, from `app.url_map`) is opened by Silkeborg's admin,
coordinator, mentor and participant (and anonymously where it is public): no page may carry a payload
unescaped, a response that carries one raw must not be HTML, and no CSV cell may start like a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask_admin.model import BaseModelView
from sqlalchemy import JSON, Column, Enum, String, Table, Text, select, update
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from broen.core.db import Base
from broen.core.models import Citizen, User
from tests.admin import routes
from tests.admin.routes import TARGET
from tests.conftest import Client, World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: String/Text/JSON columns left as they are, with the reason: the app relies on their format (Enum
#: columns are left too: they hold only their enum's members).
KEPT = {
    "municipality.slug": "in every URL",
    "municipality.timezone": "a zoneinfo name every date is computed with",
    "cafe_course.timezone": "a zoneinfo name the sessions' times are computed with",
    "user_account.password_hash": "a hash; the session key is made from it (the walk stays logged in)",
    "user_account.language": "a language code that picks the translation",
    "user_account.totp_secret": "a base32 secret for two-factor codes; never shown once set",
    "recovery_code.code_hash": "a hash",
    "pages_attachment.stored_name": "the random name of the file on disk",
    "pages_attachment.content_type": "the type detected from the file's bytes, sent as Content-Type",
    "pages_attachment.sha256": "a hash",
    "audit_entry.action": "one of the app's verbs, written only by the app",
    "audit_entry.object_type": "a model's name, written only by the app",
    "calendar_feed_token.token_hash": "a hash",
    "invitation.token_hash": "a hash",
    "invitation.subject_type": "names a plugin's record type, written only by the app",
    "invitation.channel": "'email' or 'sms', written only by the app",
    "cafe_session.uid": "an iCalendar UID the app makes",
    "mentors_meeting.uid": "an iCalendar UID the app makes",
    "mentors_application.source": "a keyed hash of the sender, for the rate limit; never shown",
    "relatives_intake.source": "a keyed hash of the sender, for the rate limit; never shown",
    "relatives_intake.person_knows": "'yes', 'no' or '' from a radio field",
    "municipal_fields_field.key": "a key: form field names and import columns are made from it",
    "municipal_fields_field.target": "names the kind of record the field is on",
    "municipal_fields_field.see_roles": "role names the app checks",
    "municipal_fields_field.edit_roles": "role names the app checks",
    "outcomes_target.key": "names one of the plugin's measures",
    "plugin_state.plugin": "a plugin's name",
    "employers_company.cvr": "8 digits (the form takes nothing else): too short for a payload",
}


def payload(n: int, row: Any) -> str:
    """A payload with marker `n` (row `row`): a script, then an attribute break-out with an image. It starts
    with one of = + - @ in turn, so that a CSV cell made from it would be a formula if not neutralised."""
    mark = f"x{n:03d}_{row}"
    return f"{'=+-@'[n % 4]}<script>{mark}()</script>\"'><img src=x onerror={mark}()>"


def email_payload(n: int, row: Any) -> str:
    """A valid address (RFC 5321 allows a quoted local part) with the payload in its local part: the forms'
    validator refuses it, but an import, the login form (login_failure) or a later form might not."""
    mark = f"x{n:03d}_{row}"
    return f'"<script>{mark}()</script><img src=x onerror={mark}()>"@x.dk'


#: Plugin settings left as they are, with the reason (the settings form checks their format).
KEPT_SETTINGS = {"checkin_weeks": "a list of week numbers the check-ins are computed from"}


def _settings(app: Flask, row: Any, n: int, ident: str) -> dict[str, Any]:
    """Every text setting of the plugin (its defaults, overlaid with what was saved) as a payload."""
    values = {**app.extensions["broen.plugins"].info[row.plugin].defaults, **(row.settings or {})}
    return {
        key: (email_payload if key.endswith("email") else payload)(n, ident)
        if isinstance(value, str) and key not in KEPT_SETTINGS
        else value
        for key, value in values.items()
    }


#: JSON columns holding texts people typed, and how to put a payload (marker `n`) in a row's value.
JSON_TEXTS: dict[str, Callable[[Flask, Any, int, str], Any]] = {
    "mentors_mentor.interests": lambda app, row, n, ident: [payload(n, ident)],
    "mentors_application.interests": lambda app, row, n, ident: [payload(n, ident)],
    "mentors_citizen_wishes.interests": lambda app, row, n, ident: [payload(n, ident)],
    "municipal_fields_field.choices": lambda app, row, n, ident: [
        {**c, "da": payload(n, ident), "en": payload(n, ident)} for c in row.choices or []
    ],
    # field names only, by contract; a payload there shows whether the audit pages would escape one
    "audit_entry.details": lambda app, row, n, ident: {**(row.details or {}), "fields": [payload(n, ident)]},
    "plugin_state.settings": _settings,
}

SCRIPT = re.compile(r"<script>x(\d{3})_")
IMAGE = re.compile(r"<img src=x onerror=x(\d{3})_")
ESCAPED = re.compile(r"&lt;script&gt;x(\d{3})_|&lt;img src=x onerror=x(\d{3})_")
RAW = re.compile(r"<script>x(\d{3})_|onerror=x(\d{3})_|\\u003cscript\\u003ex(\d{3})_")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: What a response carrying a payload raw may be served as (never text/html).
#: Not HTML: a payload may stand in them as text (an Atom feed escapes its HTML content as XML text).
RAW_TYPES = {
    "text/calendar",
    "text/csv",
    "application/json",
    "text/plain",
    "application/toml",
    "application/atom+xml",
}


def text_columns() -> list[tuple[Table, Column[Any]]]:
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (String, Text, JSON))
    ]


def overwrite_every_text(app: Flask) -> dict[int, str]:
    """Put a payload in every free-text column of every row; the columns by marker."""
    engine = app.extensions["broen.db"].engine
    columns: dict[int, str] = {}
    unaccounted = []
    with engine.begin() as conn:
        for table, column in text_columns():
            name = f"{table.name}.{column.name}"
            if name in KEPT or isinstance(column.type, Enum):
                continue
            if isinstance(column.type, JSON) and name not in JSON_TEXTS:
                unaccounted.append(name)
                continue
            n = len(columns) + 1
            columns[n] = name
            keys = list(table.primary_key.columns)
            for row in conn.execute(select(table)).all():
                ident = "_".join(str(row._mapping[k]) for k in keys)
                if isinstance(column.type, JSON):
                    value = JSON_TEXTS[name](app, row, n, ident)
                elif column.name.endswith("email"):
                    value = email_payload(n, ident)
                else:
                    value = payload(n, ident)[: getattr(column.type, "length", None)]
                where = [k == row._mapping[k] for k in keys]
                conn.execute(update(table).where(*where).values({column.name: value}))
    assert not unaccounted, (
        f"JSON columns {unaccounted}: say in JSON_TEXTS how to put a text in them, or in KEPT why not"
    )
    return columns


def link_people(app: Flask, world: World) -> list[str]:
    """Silkeborg's participant is its first citizen, and its mentor user the mentor with the active match,
    so their own pages show their records; its second citizen and its other mentor are invited (their
    invitation pages show their names). The invitations' tokens."""
    from broen.core import invitations
    from broen.plugins.mentors import invite
    from broen.plugins.mentors import services as mentor_services
    from broen.plugins.mentors.models import Match, Mentor, MentorStatus

    db = app.extensions["broen.db"]
    with app.test_request_context(f"/{TARGET}/"):
        citizen = db.session.get(Citizen, world.citizens[TARGET][0])
        assert citizen is not None
        citizen.user_id = world.user(TARGET, "participant").id
        mentor = db.session.scalars(select(Mentor).join(Match).where(Match.citizen_id == citizen.id)).one()
        mentor.user_id = world.user(TARGET, "mentor").id
        db.session.commit()
        data = mentor_services.MentorData(name="Invited mentor", background="employed")
        other = mentor_services.create_mentor(
            db, citizen.municipality, None, data, status=MentorStatus.APPROVED
        )
        invited = db.session.get(Citizen, world.citizens[TARGET][1])
        by = db.session.get(User, world.user(TARGET, "coordinator").id)
        assert invited is not None and by is not None
        return [
            invitations.invite(db, invited, by, "print"),
            invitations.invite_subject(db, invite.subject(other), by, "print"),
        ]


def requests_for(app: Flask, world: World, rule: Rule, tokens: list[str]) -> list[str]:
    """The URLs to GET for `rule`: its path; an admin model view's detail/edit page of each Silkeborg row;
    a plugin's settings page for every plugin; an invitation's page with each real token."""
    path, _ = routes.fill(app, world, rule)
    if "token" in rule.arguments and rule.endpoint.startswith("invitations."):
        return [path, *(rule.build({"token": t}, append_unknown=False)[1] for t in tokens)]  # type: ignore[index]
    if rule.endpoint == "plugins.settings":
        return [
            path.rsplit("/", 2)[0] + f"/{name}/settings" for name in app.extensions["broen.plugins"].names
        ]
    if not routes.is_admin_rule(rule):
        return [path]
    view = routes.admin_view(app, rule.endpoint)
    if not isinstance(view, BaseModelView):
        return [path]
    action = rule.endpoint.split(".", 1)[1]
    if action in ("details_view", "edit_view"):
        return [f"{path}?id={i}" for i in routes.target_row_ids(app, view.model)[:5]]
    if action == "index_view":
        return [path, f"{path}?search=script"]
    if action == "ajax_lookup":
        return [f"{path}?name={field}&query=script" for field in ("user", "municipality")]
    if action == "export_csv":
        return [f"{path}?start=2000-01-01&end=2100-01-01"]
    return [path]


def problems_in(response: TestResponse, where: str) -> list[str]:
    """What is wrong with one response: a server error, a payload unescaped in HTML, a raw payload in a
    type a browser might render, a CSV cell a spreadsheet would run."""
    found = []
    if response.status_code >= 500:
        found.append(f"{where}: server error")
    body = response.get_data(as_text=True)
    mimetype = response.mimetype or ""
    if mimetype in ("text/html", "application/xhtml+xml", "image/svg+xml", ""):
        for pattern in (SCRIPT, IMAGE):
            if match := pattern.search(body):
                start = max(0, match.start() - 80)
                found.append(f"{where}: unescaped payload: ...{body[start : match.end() + 20]!r}")
    elif RAW.search(body):
        if mimetype not in RAW_TYPES:
            found.append(f"{where}: a raw payload served as {mimetype}")
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            found.append(f"{where}: a raw payload without X-Content-Type-Options: nosniff")
    if mimetype == "text/csv":
        text = body.lstrip("\ufeff")
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,") if text.strip() else "excel"
        for cells in csv.reader(io.StringIO(text), dialect):
            for cell in cells:
                if RAW.search(cell) and cell.startswith(FORMULA):
                    found.append(f"{where}: a CSV cell a spreadsheet would run: {cell[:40]!r}")
    return found


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
#: Query parameters the app reads outside its GET forms (a login's next page, the footer's language...).
QUERY_NAMES = ("q", "next", "lang", "page", "search", "start", "end", "status")
REFLECTED = 999  # the marker of a payload sent in the query string


def reflected_url(url: str, body: str) -> str:
    """`url` with a payload in every query parameter the page's GET forms (filters, searches) send, and in
    the ones in QUERY_NAMES: a page must not echo one unescaped."""
    names = set(QUERY_NAMES)
    for attributes, inner in FORM.findall(body):
        if not re.search(r"method=[\"']?post", attributes, re.I):
            names |= set(re.findall(r"\bname=\"([^\"]+)\"", inner)) - {"csrf_token"}
    query = urlencode({name: payload(REFLECTED, "q") for name in sorted(names)})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def markers_in(body: str) -> set[int]:
    """The markers a response shows: escaped in HTML, or raw in a CSV/JSON/iCalendar body."""
    return {int(a or b or c) for a, b, c in RAW.findall(body)} | {
        int(a or b) for a, b in ESCAPED.findall(body)
    }


@SQLITE_ONLY
def test_every_page_escapes_a_payload_in_every_text_column(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    tokens = link_people(app, world)
    clients: dict[str, Client] = {"anonymous": make_client()}
    for role in ("admin", "coordinator", "mentor", "participant"):
        clients[role] = make_client()
        assert clients[role].login(world.user(TARGET, role)).status_code == 302
    # A new free-text column is either overwritten below or kept with a reason: nothing slips past.
    names = {f"{t.name}.{c.name}" for t, c in text_columns()}
    assert set(KEPT) <= names, f"KEPT names columns that are gone: {set(KEPT) - names}"
    columns = overwrite_every_text(app)
    assert {"citizen.name", "cafe_course.title", "mentors_meeting.note"} <= set(columns.values())

    problems: list[str] = []
    seen: set[int] = set()
    walked = 0
    for rule in routes.rules(app):
        if "GET" not in routes.methods(rule) or rule.endpoint.endswith("static"):
            continue
        for url in requests_for(app, world, rule, tokens):
            for who, client in clients.items():
                if who == "anonymous" and not routes.public_reason(rule):
                    continue
                response = routes.call(client, "GET", url)
                walked += 1
                problems += problems_in(
                    response, f"GET {url} as {who} ({rule.endpoint}) -> {response.status_code}"
                )
                body = response.get_data(as_text=True)
                seen |= markers_in(body)
                if response.status_code == 200 and response.mimetype == "text/html":
                    again = routes.call(client, "GET", reflected_url(url, body))
                    walked += 1
                    problems += problems_in(
                        again, f"GET {url} with a payload in the query as {who} -> {again.status_code}"
                    )
    assert not problems, "\n".join(problems)
    assert walked > 400
    shown = {columns[n] for n in seen if n in columns}
    must_show = {
        "citizen.name",
        "citizen.email",
        "cafe_course.title",
        "cafe_agenda_item.title",
        "mentors_mentor.name",
        "mentors_meeting.note",
        "relatives_relative.name",
        "employers_company.name",
        "municipal_fields_value.value",
        "user_account.name",
        "municipality.name",
        "audit_entry.user_name",
        "plugin_state.settings",
    }
    assert must_show <= shown, f"pages never showed {sorted(must_show - shown)}"
    unseen = sorted(set(columns.values()) - shown)
    assert len(shown) >= 0.8 * len(columns), (
        f"only {len(shown)} of {len(columns)} columns shown; not: {unseen}"
    )


@SQLITE_ONLY
def test_a_payload_typed_into_the_citizen_form_is_escaped_when_refused_and_when_saved(
    app: Flask, world: World, client: Client
) -> None:
    client.login(world.user(TARGET, "coordinator"))
    typed = {
        "name": payload(1, "name"),
        "phone": payload(2, "phone")[:30],
        "address": payload(3, "address"),
        "status": "active",
        "contact_person_id": "",
    }
    refused = client.submit(f"/{TARGET}/citizens/new", {**typed, "email": email_payload(4, "email")})
    assert refused.status_code == 400  # the e-mail validator refuses a quoted local part
    body = refused.get_data(as_text=True)
    assert not problems_in(refused, "the refused form") and {1, 2, 3, 4} <= markers_in(body)
    saved = client.submit(f"/{TARGET}/citizens/new", {**typed, "email": "x@example.dk"})
    assert saved.status_code == 302
    for url in (saved.location, f"{saved.location}/edit", f"/{TARGET}/citizens/?q=script"):
        page = client.get(url)
        assert page.status_code == 200 and not problems_in(page, url)
        assert {1, 2, 3} & markers_in(page.get_data(as_text=True)), f"{url} does not show the citizen"
