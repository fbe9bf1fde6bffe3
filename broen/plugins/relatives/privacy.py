"""A citizen's rights over what the relatives plugin holds about them (GDPR art. 15 and 17).

What it holds: the citizen's relatives (third persons, recorded under the citizen's consent), their
referrals to counselling, and the referrals from the public page that were accepted into the citizen.
The export (`citizen_data`) gives every row with every stored column about the citizen or written about
them, staff named by name; three queries, however many rows.

The erasure (`erase_citizen`) deletes all of it, in the caller's transaction: the relatives and their
referrals describe only the citizen's network, and nothing of them feeds the reports. The referrals'
extra values (municipal fields) go too (`api.records_deleted`). The group courses stay: they name no one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from broen import api
from broen.plugins.relatives.models import GroupCourse, Intake, Referral, Relative
from broen.plugins.relatives.staff import FIELD_TARGET

_ = api.gettext


def _relatives(db: api.Database, citizen: api.Citizen) -> list[dict[str, Any]]:
    recorded_by, withdrawn_by = aliased(api.User), aliased(api.User)
    stmt = (
        select(
            Relative.id,
            Relative.name,
            Relative.relation,
            Relative.email,
            Relative.phone,
            Relative.note,
            Relative.consent_given_on,
            Relative.consent_form,
            Relative.share_with_relative,
            Relative.refer_to_counselling,
            Relative.share_citizen_name,
            Relative.share_situation,
            recorded_by.name.label("consent_recorded_by"),
            Relative.consent_recorded_at,
            Relative.withdrawn_at,
            withdrawn_by.name.label("withdrawn_by"),
            Relative.created_at,
            Relative.updated_at,
        )
        .outerjoin(recorded_by, recorded_by.id == Relative.consent_recorded_by_id)
        .outerjoin(withdrawn_by, withdrawn_by.id == Relative.withdrawn_by_id)
        .where(Relative.municipality_id == citizen.municipality_id, Relative.citizen_id == citizen.id)
        .order_by(Relative.id)
    )
    return api.data_records(db.session.execute(stmt))


def _referrals(db: api.Database, citizen: api.Citizen) -> list[dict[str, Any]]:
    created_by = aliased(api.User)
    stmt = (
        select(
            Referral.id,
            Referral.relative_id,
            Referral.kind,
            GroupCourse.title.label("course"),
            Referral.status,
            Referral.situation,
            Referral.proposed_on,
            Referral.sent_on,
            Referral.sent_to,
            Referral.accepted_on,
            Referral.completed_on,
            Referral.closed_on,
            Referral.close_reason,
            created_by.name.label("created_by"),
            Referral.created_at,
            Referral.updated_at,
        )
        .join(Relative, Relative.id == Referral.relative_id)
        .outerjoin(GroupCourse, GroupCourse.id == Referral.course_id)
        .outerjoin(created_by, created_by.id == Referral.created_by_id)
        .where(Relative.municipality_id == citizen.municipality_id, Relative.citizen_id == citizen.id)
        .order_by(Referral.id)
    )
    return api.data_records(db.session.execute(stmt))


def _intakes(db: api.Database, citizen: api.Citizen) -> list[dict[str, Any]]:
    handled_by = aliased(api.User)
    stmt = (
        select(
            Intake.id,
            Intake.about_self,
            Intake.referrer_name,
            Intake.referrer_email,
            Intake.referrer_phone,
            Intake.relation,
            Intake.person_name,
            Intake.person_knows,
            Intake.message,
            Intake.consent_text,
            Intake.consent_at,
            Intake.created_at,
            Intake.status,
            Intake.handled_at,
            handled_by.name.label("handled_by"),
            Intake.close_reason,
        )
        .outerjoin(handled_by, handled_by.id == Intake.handled_by_id)
        .where(Intake.municipality_id == citizen.municipality_id, Intake.citizen_id == citizen.id)
        .order_by(Intake.id)
    )
    return api.data_records(db.session.execute(stmt))


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """The citizen's relatives, their referrals to counselling, and the referrals from the public page
    accepted into the citizen (three queries)."""
    db = api.db()
    return [
        api.DataSection("relatives", _("Relatives and network"), _relatives(db, citizen)),
        api.DataSection("referrals", _("Referrals of relatives to counselling"), _referrals(db, citizen)),
        api.DataSection(
            "intake_referrals", _("Referrals to the programme from the public page"), _intakes(db, citizen)
        ),
    ]


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Delete the citizen's relatives, their referrals (and the referrals' extra values) and the referrals
    from the public page accepted into the citizen, in the caller's transaction (no commit)."""
    db = api.db()
    relative_ids = list(
        db.session.scalars(
            select(Relative.id).where(
                Relative.municipality_id == citizen.municipality_id, Relative.citizen_id == citizen.id
            )
        )
    )
    if relative_ids:
        referral_ids = list(
            db.session.scalars(select(Referral.id).where(Referral.relative_id.in_(relative_ids)))
        )
        if referral_ids:
            api.records_deleted(citizen.municipality, FIELD_TARGET, referral_ids)
            db.session.execute(delete(Referral).where(Referral.id.in_(referral_ids)))
        db.session.execute(delete(Relative).where(Relative.id.in_(relative_ids)))
    db.session.execute(
        delete(Intake).where(
            Intake.municipality_id == citizen.municipality_id, Intake.citizen_id == citizen.id
        )
    )
