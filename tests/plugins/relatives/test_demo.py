"""`broen demo` fills the relatives plugin through its services: relatives under consent (one withdrawn,
its details erased), referrals at several steps, a course with sessions, a referral in the intake queue."""

from __future__ import annotations

from sqlalchemy import func, select

from broen.plugins.relatives.models import GroupSession, Intake, Referral, ReferralStatus, Relative
from tests.conftest import Demo


def test_the_demo_has_relatives_referrals_a_course_and_an_intake_in_each_municipality(demo: Demo) -> None:
    db = demo.app.extensions["broen.db"]
    relatives = list(db.session.scalars(select(Relative).order_by(Relative.id)))
    assert len(relatives) == 8  # four in each municipality
    withdrawn = [r for r in relatives if not r.consented]
    assert len(withdrawn) == 2
    assert all(r.name == r.email == r.phone == "" for r in withdrawn)
    statuses = sorted(db.session.scalars(select(Referral.status).where(Referral.municipality_id == 1)))
    assert statuses == sorted([ReferralStatus.ACCEPTED, ReferralStatus.PROPOSED, ReferralStatus.WITHDRAWN])
    assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 8
    assert db.session.scalar(select(func.count()).select_from(Intake)) == 2
