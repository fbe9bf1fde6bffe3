"""The coordinator's pages: the worklist of who is due a contact, a citizen's contacts (log, change,
delete), the citizen's own rhythm, WHO-5 measurements; the citizen page's panel and the start page's
"Due a contact" panel.

Every page is for a municipality's admins and coordinators, reads rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404), writes only through `services`, and logs
which citizens' data it showed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from broen import api
from broen.plugins.contacts import due as due_dates
from broen.plugins.contacts import services
from broen.plugins.contacts.blueprint import STAFF, bp
from broen.plugins.contacts.forms import (
    CONTACT_FORMS,
    INITIATIVES,
    WHO5_ANSWERS,
    WHO5_ITEMS,
    LogForm,
    RhythmForm,
    Who5Form,
    minimum_label,
    rhythm_label,
)
from broen.plugins.contacts.models import Contact, Who5
from broen.plugins.contacts.services import ContactError, _

#: Rows on each list of the start page's panel.
PANEL_ROWS = 10
#: Contacts on the citizen page's panel.
PANEL_CONTACTS = 5
#: The worklist's filters: whose citizens, and which of them.
MINE, EVERYONE = "mine", "all"
SHOWS = ("", "overdue", "week", "who5")
LOG_PREFIX, RHYTHM_PREFIX = "contact", "rhythm"


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The worklist's menu entry for staff."""
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Contacts"), "contacts.worklist", order=35)]
    return []


def rhythm_text(days: int, own_weeks: int | None) -> str:
    """How often the citizen is due a contact, and whether they chose it."""
    if own_weeks is not None and own_weeks * 7 <= days:
        return _("%(every)s (the citizen's choice)", every=rhythm_label(own_weeks))
    return minimum_label(days)


def helpers() -> dict[str, Any]:
    """What the plugin's templates use; passed to those rendered on other pages (the panels) by hand."""
    return {
        "contact_forms": CONTACT_FORMS,
        "initiatives": INITIATIVES,
        "who5_items": WHO5_ITEMS,
        "who5_answers": dict(WHO5_ANSWERS),
        "rhythm_text": rhythm_text,
    }


bp.context_processor(helpers)


def _audit_view(db: api.Database, citizen_id: int, what: str) -> None:
    api.audit.record(db, "view", "citizen", citizen_id, by=api.current_user(), what=what)
    db.session.commit()


def log_form(*, posted: bool = False, today: date | None = None) -> LogForm:
    if posted:
        return LogForm(prefix=LOG_PREFIX)
    return LogForm(formdata=None, prefix=LOG_PREFIX, data={"on": today, "initiative": "coordinator"})


def rhythm_form(minimum: int, weeks: int | None, *, posted: bool = False) -> RhythmForm:
    if posted:
        return RhythmForm(prefix=RHYTHM_PREFIX).offer(minimum)
    data = {"weeks": str(weeks) if weeks is not None else ""}
    return RhythmForm(formdata=None, prefix=RHYTHM_PREFIX, data=data).offer(minimum)


def _latest_who5(db: api.Database, citizen: api.Citizen) -> Who5 | None:
    return db.session.scalar(
        select(Who5)
        .where(Who5.citizen_id == citizen.id, Who5.municipality_id == citizen.municipality_id)
        .order_by(Who5.on.desc(), Who5.id.desc())
        .limit(1)
    )


def _due_of_citizen(db: api.Database, citizen: api.Citizen) -> due_dates.Due | None:
    rows = due_dates.due_of(db, citizen.municipality, citizen_ids=[citizen.id])
    return rows[0] if rows else None


# --- the citizen page's panel ----------------------------------------------------------------------------


def citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    """For staff, the "Contact rhythm" panel: last contact, when the next is due (a warning when overdue),
    the rhythm and the citizen's own choice, a form to log a contact, the last five contacts, and the
    latest WHO-5 score. A handful of queries, however many contacts there are."""
    if user.role_in(citizen.municipality_id) not in STAFF:
        return []
    db = api.db()
    municipality = citizen.municipality
    minimum = services.minimum_days(municipality)
    due = _due_of_citizen(db, citizen)
    weeks = services.rhythm_of(db, citizen)
    contacts = db.session.execute(
        select(Contact, api.User.name)
        .outerjoin(api.User, api.User.id == Contact.by_id)
        .where(Contact.citizen_id == citizen.id, Contact.municipality_id == citizen.municipality_id)
        .order_by(Contact.on.desc(), Contact.id.desc())
        .limit(PANEL_CONTACTS + 1)
    ).all()
    today = api.local_today(municipality)
    html = render_template(
        "contacts/_panel.html",
        citizen=citizen,
        due=due,
        contacts=contacts[:PANEL_CONTACTS],
        more=len(contacts) > PANEL_CONTACTS,
        who5=_latest_who5(db, citizen),
        who5_due=due.who5_due if due is not None else False,
        log_form=log_form(today=today),
        rhythm_form=rhythm_form(minimum, weeks),
        rhythm=rhythm_text(services.effective_days(minimum, weeks), weeks),
        **helpers(),
    )
    return [api.CitizenPanel(_("Contact rhythm"), html, order=30)]


# --- the start page's panel ------------------------------------------------------------------------------


def home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    """For staff, "Due a contact": their own citizens who are overdue (most overdue first, with how many
    days) and those due this week, at most ten of each with a link to all, and how many are due a WHO-5.
    Nothing when there is nothing to do. The same statements however many citizens there are."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    db = api.db()
    rows = due_dates.due_of(db, municipality, contact_person_id=user.id)
    overdue, week = due_dates.overdue(rows), due_dates.due_this_week(rows)
    who5 = len(due_dates.who5_due(rows))
    if not (overdue or week or who5):
        return []
    shown = [r.citizen_id for r in [*overdue[:PANEL_ROWS], *week[:PANEL_ROWS]]]
    if api.audit.record_each(
        db, "list", "citizen", shown, by=user, municipality_id=municipality.id, what="contacts_home"
    ):
        db.session.commit()
    html = render_template(
        "contacts/_home.html",
        overdue=overdue[:PANEL_ROWS],
        overdue_total=len(overdue),
        week=week[:PANEL_ROWS],
        week_total=len(week),
        who5=who5,
        **helpers(),
    )
    return [api.HomePanel(_("Due a contact"), html, order=20)]


# --- the worklist ----------------------------------------------------------------------------------------


@bp.route("/")
@api.require_role(*STAFF)
def worklist() -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    user = api.current_user()
    scope = EVERYONE if request.args.get("scope") == EVERYONE else MINE
    show = request.args.get("show", "")
    if show not in SHOWS:
        show = ""
    rows = due_dates.due_of(db, municipality, contact_person_id=user.id if scope == MINE else None)
    if show == "overdue":
        rows = due_dates.overdue(rows)
    elif show == "week":
        rows = due_dates.due_this_week(rows)
    elif show == "who5":
        rows = due_dates.who5_due(rows)
    per_page = 25
    pages = max(1, -(-len(rows) // per_page))
    number = min(api.requested_page(), pages)
    page = api.Page(rows[(number - 1) * per_page : number * per_page], len(rows), number, per_page)
    api.audit.record_each(
        db,
        "list",
        "citizen",
        [r.citizen_id for r in page.items],
        by=user,
        municipality_id=municipality.id,
        what="contacts_worklist",
        scope=scope,
        show=show,
        page=page.page,
    )
    db.session.commit()
    args = {k: v for k, v in (("scope", scope), ("show", show)) if v}
    return render_template("contacts/worklist.html", page=page, scope=scope, show=show, args=args)


# --- a citizen's contacts --------------------------------------------------------------------------------


def _citizen_page(
    citizen: api.Citizen,
    form: LogForm | None = None,
    rhythm: RhythmForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    minimum = services.minimum_days(municipality)
    weeks = services.rhythm_of(db, citizen)
    stmt = (
        api.scoped(Contact)
        .add_columns(api.User.name)
        .outerjoin(api.User, api.User.id == Contact.by_id)
        .where(Contact.citizen_id == citizen.id)
        .order_by(Contact.on.desc(), Contact.id.desc())
    )
    page = api.paginate(db, stmt, api.requested_page(), item=lambda contact, name: (contact, name))
    measurements = db.session.scalars(
        select(Who5)
        .where(Who5.citizen_id == citizen.id, Who5.municipality_id == municipality.id)
        .order_by(Who5.on.desc(), Who5.id.desc())
    ).all()
    due = _due_of_citizen(db, citizen)
    _audit_view(db, citizen.id, "contacts_citizen")
    return render_template(
        "contacts/citizen.html",
        citizen=citizen,
        page=page,
        measurements=measurements,
        due=due,
        log_form=form or log_form(today=api.local_today(municipality)),
        rhythm_form=rhythm or rhythm_form(minimum, weeks),
        rhythm=rhythm_text(services.effective_days(minimum, weeks), weeks),
    ), status


def _back(citizen_id: int) -> ResponseReturnValue:
    if request.args.get("from") == "panel":
        return redirect(url_for("citizens.show", citizen_id=citizen_id, _anchor="contacts"))
    return redirect(url_for("contacts.citizen", citizen_id=citizen_id))


@bp.route("/citizens/<int:citizen_id>")
@api.require_role(*STAFF)
def citizen(citizen_id: int) -> ResponseReturnValue:
    return _citizen_page(api.get_scoped_or_404(api.db(), api.Citizen, citizen_id))


@bp.route("/citizens/<int:citizen_id>/log", methods=["POST"])
@api.require_role(*STAFF)
def log(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = log_form(posted=True)
    if form.validate_on_submit():
        try:
            services.log_contact(db, citizen, api.current_user(), form.data_for_service())
        except ContactError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The contact is logged."), "success")
            return _back(citizen_id)
    return _citizen_page(citizen, form=form, status=400)


@bp.route("/citizens/<int:citizen_id>/rhythm", methods=["POST"])
@api.require_role(*STAFF)
def set_rhythm(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = rhythm_form(services.minimum_days(citizen.municipality), None, posted=True)
    changed = save_rhythm(form, citizen)
    if changed is not None:
        flash(_("The rhythm is saved.") if changed else _("Nothing was changed."), "success")
        return _back(citizen_id)
    return _citizen_page(citizen, rhythm=form, status=400)


def save_rhythm(form: Any, citizen: api.Citizen) -> bool | None:
    """Save the rhythm chosen on a posted rhythm form (staff's or the citizen's own): whether it changed, or
    None when the form is invalid or the service refused (the message is then on the form's field)."""
    if not form.validate_on_submit():
        return None
    db = api.db()
    chosen = form.chosen()
    try:
        if isinstance(chosen, str):
            raise ContactError("weeks", _("Choose one of the rhythms in the list."))
        return services.set_rhythm(db, citizen, api.current_user(), chosen)
    except ContactError as err:
        db.session.rollback()
        api.field_error(form, err, "weeks")
        return None


def _contact_or_404(contact_id: int) -> tuple[Contact, api.Citizen]:
    db = api.db()
    contact = api.get_scoped_or_404(db, Contact, contact_id)
    return contact, api.get_scoped_or_404(db, api.Citizen, contact.citizen_id)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit(contact_id: int) -> ResponseReturnValue:
    db = api.db()
    contact, citizen = _contact_or_404(contact_id)
    if request.method == "POST":
        form = LogForm(prefix=LOG_PREFIX)
    else:
        form = LogForm(
            formdata=None,
            prefix=LOG_PREFIX,
            data={
                "on": contact.on,
                "form": contact.form.value,
                "initiative": contact.initiative.value,
                "note": contact.note,
            },
        )
    if form.validate_on_submit():
        try:
            changed = services.update_contact(db, contact, api.current_user(), form.data_for_service())
        except ContactError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("contacts.citizen", citizen_id=citizen.id))
    _audit_view(db, citizen.id, "contacts_contact")
    status = 400 if request.method == "POST" else 200
    return render_template("contacts/edit.html", form=form, contact=contact, citizen=citizen), status


@bp.route("/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@api.require_role(*STAFF)
def delete(contact_id: int) -> ResponseReturnValue:
    db = api.db()
    contact, citizen = _contact_or_404(contact_id)
    form = api.ConfirmForm()
    if form.validate_on_submit():
        services.delete_contact(db, contact, api.current_user())
        flash(_("The contact is deleted."), "success")
        return redirect(url_for("contacts.citizen", citizen_id=citizen.id))
    _audit_view(db, citizen.id, "contacts_contact")
    status = 400 if request.method == "POST" else 200
    return render_template("contacts/delete.html", form=form, contact=contact, citizen=citizen), status


@bp.route("/citizens/<int:citizen_id>/who5", methods=["GET", "POST"])
@api.require_role(*STAFF)
def who5(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    if request.method == "POST":
        form = Who5Form()
    else:
        form = Who5Form(formdata=None, data={"on": api.local_today(citizen.municipality)})
    if form.validate_on_submit():
        try:
            measurement = services.record_who5(db, citizen, api.current_user(), form.on.data, form.answers())
        except ContactError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The WHO-5 score %(score)d is recorded.", score=measurement.score), "success")
            return redirect(url_for("contacts.citizen", citizen_id=citizen.id, _anchor="who5"))
    status = 400 if request.method == "POST" else 200
    return render_template("contacts/who5.html", form=form, citizen=citizen), status
