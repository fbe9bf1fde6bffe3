"""`broen demo` fills the relatives plugin through its services: relatives under consent (one withdrawn,
its details erased), referrals at several steps, a course with sessions, a referral in the intake queue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from broen.core.migrate import upgrade
from broen.plugins.relatives.models import GroupSession, Intake, Referral, ReferralStatus, Relative
from tests.conftest import make_app


def test_the_demo_has_relatives_referrals_a_course_and_an_intake_in_each_municipality(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'demo.db'}", plugins=())
    db = app.extensions["broen.db"]
    try:
        with app.app_context():
            upgrade(db, app.extensions["broen.plugins"])
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            relatives = list(db.session.scalars(select(Relative).order_by(Relative.id)))
            assert len(relatives) == 8  # four in each municipality
            withdrawn = [r for r in relatives if not r.consented]
            assert len(withdrawn) == 2
            assert all(r.name == r.email == r.phone == "" for r in withdrawn)
            statuses = sorted(
                db.session.scalars(select(Referral.status).where(Referral.municipality_id == 1))
            )
            assert statuses == sorted(
                [ReferralStatus.ACCEPTED, ReferralStatus.PROPOSED, ReferralStatus.WITHDRAWN]
            )
            assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 8
            assert db.session.scalar(select(func.count()).select_from(Intake)) == 2
    finally:
        db.dispose()
