"""`broen mentors delete-expired-applications`, as cron runs it: applications older than six months go
(the consent text promises it), newer ones stay, a line per municipality that has the plugin on."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from broen.core import accounts
from broen.core.db import utcnow
from broen.core.models import AuditEntry
from broen.plugins.mentors.models import Application
from tests.conftest import World, db_of


def application(world: World, slug: str, name: str, days_old: int) -> Application:
    return Application(
        municipality_id=world.municipalities[slug].id,
        name=name,
        email=f"{name.lower()}@example.dk",
        background="student",
        consent_text="I agree.",
        created_at=utcnow() - timedelta(days=days_old),
        consent_at=utcnow() - timedelta(days=days_old),
    )


def test_old_applications_are_deleted_and_the_deletion_is_audited(app: Flask, mentors_world: World) -> None:
    with app.app_context():
        db = db_of(app)
        db.session.add_all(
            [
                application(mentors_world, "silkeborg", "Old", 200),
                application(mentors_world, "silkeborg", "Recent", 20),
                application(mentors_world, "norddjurs", "Older", 365),
            ]
        )
        db.session.commit()
        accounts.set_plugin_enabled(db, mentors_world.municipalities["norddjurs"], "mentors", False)

        result = app.test_cli_runner().invoke(args=["mentors", "delete-expired-applications"])

        assert result.exit_code == 0, result.output
        assert "Silkeborg Kommune: 1 expired applications deleted" in result.output
        assert "Norddjurs" not in result.output  # off there: its data is left alone
        left = set(db.session.scalars(select(Application.name)))
        assert left == {"Recent", "Older"}
        deleted = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "mentors_application", AuditEntry.action == "delete"
            )
        ).all()
        assert len(deleted) == 1 and "Old" not in str(deleted[0].details)
