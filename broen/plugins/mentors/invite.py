"""A mentor's log-in, through the core's single-use invitation link, as a citizen gets theirs.

A coordinator invites an approved mentor who has no log-in yet, by e-mail or on paper (a page with a QR
code); the mentor opens the link and chooses a password (or uses the account they are logged in with).
The log-in gets the mentor role in the municipality, and `accepted` (the plugin's
`broen_invitation_accepted`) links it to the mentor (`Mentor.user_id`) in the same transaction, or
refuses: then nothing is written and the link keeps working.

The pages are on the staff blueprint (`/<municipality>/mentors/<id>/invitation/...`), for admins and
coordinators; the core's `api.invitation_page` and `api.withdraw_invitation_page` do the flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from broen import api
from broen.plugins.mentors.blueprint import STAFF, bp
from broen.plugins.mentors.models import Mentor, MentorStatus
from broen.plugins.mentors.services import MentorError

#: The invitation's `subject_type` of a mentor (and the audit log's object type).
SUBJECT_TYPE = "mentors_mentor"


def subject(mentor: Mentor) -> api.InvitationSubject:
    """The mentor as the core's invitation sees them: to the mentor pages."""
    return api.InvitationSubject(
        type=SUBJECT_TYPE,
        id=mentor.id,
        municipality_id=mentor.municipality_id,
        name=mentor.name,
        role=api.Role.MENTOR,
        email=mentor.email,
    )


def refusal(mentor: Mentor) -> str | None:
    """Why the mentor cannot be invited now, or None: only an approved mentor without a log-in can."""
    if mentor.user_id is not None:
        return str(api.gettext("%(name)s has a log-in already.", name=mentor.name))
    if mentor.status != MentorStatus.APPROVED:
        return str(
            api.gettext(
                "Only an approved mentor can be invited. Change the status of %(name)s to approved first.",
                name=mentor.name,
            )
        )
    return None


@dataclass(frozen=True)
class LoginInfo:
    """What the mentor's page says about their log-in."""

    user: api.User | None
    #: The invitation whose link still works, if any, and the latest one.
    open: api.Invitation | None
    last: api.Invitation | None
    #: Whether a (new) invitation can be made now.
    can_invite: bool


def login_info(db: api.Database, mentor: Mentor) -> LoginInfo:
    """The mentor's log-in and invitations, for their page (two queries at most)."""
    user = db.session.get(api.User, mentor.user_id) if mentor.user_id is not None else None
    state = api.invitation_state(subject(mentor))
    return LoginInfo(user=user, open=state.open, last=state.last, can_invite=refusal(mentor) is None)


def accepted(invitation: api.Invitation, user: api.User) -> bool | None:
    """Link an accepted invitation's log-in to its mentor (the core's transaction: no commit); None for
    another plugin's record. Raises `MentorError` to refuse: the mentor is gone, not approved any more,
    has a log-in already, or the log-in is another mentor's in the municipality."""
    if invitation.subject_type != SUBJECT_TYPE:
        return None
    db = api.db()
    assert invitation.subject_id is not None
    mentor = db.session.scalar(
        select(Mentor)
        .where(Mentor.id == invitation.subject_id, Mentor.municipality_id == invitation.municipality_id)
        .with_for_update()
    )
    if mentor is None:
        raise MentorError("account", str(api.gettext("This link does not lead to a mentor any more.")))
    if mentor.status != MentorStatus.APPROVED:
        raise MentorError(
            "account",
            str(
                api.gettext(
                    "You are not an approved mentor at the moment, so the log-in was not made. Ask your "
                    "coordinator."
                )
            ),
        )
    if mentor.user_id is not None and mentor.user_id != user.id:
        raise MentorError(
            "account", str(api.gettext("This mentor has a log-in already. Log in with that one."))
        )
    other = db.session.scalar(
        select(Mentor.id).where(
            Mentor.municipality_id == mentor.municipality_id,
            Mentor.user_id == user.id,
            Mentor.id != mentor.id,
        )
    )
    if other is not None:
        raise MentorError(
            "account",
            str(api.gettext("Your account belongs to another mentor. Log out, then open the link again.")),
        )
    mentor.user_id = user.id
    api.audit.record(
        db,
        "update",
        SUBJECT_TYPE,
        mentor.id,
        by=user,
        municipality_id=mentor.municipality_id,
        fields=["user_id"],
        invitation_id=invitation.id,
    )
    return True


# --- pages -----------------------------------------------------------------------------------------------


@bp.route("/<int:mentor_id>/invitation/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def invite_mentor(mentor_id: int) -> ResponseReturnValue:
    """The invite form (also 'New invitation': the open link then stops working)."""
    mentor = api.get_scoped_or_404(api.db(), Mentor, mentor_id)
    return api.invitation_page(
        subject(mentor),
        back_url=url_for("mentors.mentor", mentor_id=mentor.id),
        edit_url=url_for("mentors.edit_mentor", mentor_id=mentor.id),
        refusal=refusal(mentor),
    )


@bp.route("/<int:mentor_id>/invitation/withdraw", methods=["GET", "POST"])
@api.require_role(*STAFF)
def withdraw_invitation(mentor_id: int) -> ResponseReturnValue:
    """Withdraw the mentor's open invitation, after asking."""
    mentor = api.get_scoped_or_404(api.db(), Mentor, mentor_id)
    return api.withdraw_invitation_page(
        subject(mentor), back_url=url_for("mentors.mentor", mentor_id=mentor.id)
    )
