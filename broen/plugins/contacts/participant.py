"""The citizen's own page: their contacts with their coordinator (the day, how, who took the initiative,
the note), how often they want contact ("Du bestemmer", which they can change), and when the next
contact is due.

Under `/<municipality>/contacts/me/`, only for a participant of that municipality, and only about the
citizen record their log-in is linked to (`Citizen.user_id`); a log-in that is not linked gets a calm page
saying whom to ask. It names no staff but their own coordinator.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from broen import api
from broen.plugins.contacts import due as due_dates
from broen.plugins.contacts import services
from broen.plugins.contacts.blueprint import me_bp as bp
from broen.plugins.contacts.models import Contact
from broen.plugins.contacts.services import _
from broen.plugins.contacts.staff import helpers, rhythm_form, rhythm_text, save_rhythm

PARTICIPANT = api.Role.PARTICIPANT

bp.context_processor(helpers)


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The participant's menu entry."""
    if user.role_in(municipality.id) == PARTICIPANT:
        return [api.MenuItem(_("My contacts"), "contacts_me.home", order=35)]
    return []


def own_citizen(db: api.Database, municipality: api.Municipality, user: api.User) -> api.Citizen | None:
    """The citizen record of `municipality` linked to `user`'s log-in, or None."""
    return db.session.scalar(
        select(api.Citizen).where(
            api.Citizen.municipality_id == municipality.id, api.Citizen.user_id == user.id
        )
    )


def _page(citizen: api.Citizen, form: object | None = None, status: int = 200) -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    minimum = services.minimum_days(municipality)
    weeks = services.rhythm_of(db, citizen)
    stmt = (
        select(Contact)
        .where(Contact.citizen_id == citizen.id, Contact.municipality_id == municipality.id)
        .order_by(Contact.on.desc(), Contact.id.desc())
    )
    page: api.Page[Contact] = api.paginate(db, stmt, api.requested_page())
    rows = due_dates.due_of(db, municipality, citizen_ids=[citizen.id])
    coordinator = citizen.contact_person.name if citizen.contact_person is not None else None
    api.audit.record(db, "view", "citizen", citizen.id, by=api.current_user(), what="contacts_me")
    db.session.commit()
    return render_template(
        "contacts/me.html",
        citizen=citizen,
        page=page,
        due=rows[0] if rows else None,
        coordinator=coordinator,
        rhythm_form=form or rhythm_form(minimum, weeks),
        rhythm=rhythm_text(services.effective_days(minimum, weeks), weeks),
    ), status


@bp.route("/me/")
@api.require_role(PARTICIPANT)
def home() -> ResponseReturnValue:
    citizen = own_citizen(api.db(), api.current_municipality(), api.current_user())
    if citizen is None:
        return render_template("contacts/me_not_linked.html")
    return _page(citizen)


@bp.route("/me/rhythm", methods=["POST"])
@api.require_role(PARTICIPANT)
def set_rhythm() -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    citizen = own_citizen(db, municipality, api.current_user())
    if citizen is None:
        return render_template("contacts/me_not_linked.html"), 404
    form = rhythm_form(services.minimum_days(municipality), None, posted=True)
    changed = save_rhythm(form, citizen)
    if changed is not None:
        flash(
            _("Thank you. We have saved how often you want contact.")
            if changed
            else _("Nothing was changed."),
            "success",
        )
        return redirect(url_for("contacts_me.home"))
    return _page(citizen, form, 400)
