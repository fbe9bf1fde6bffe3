"""`broen cafe send-reminders`, as cron runs it: a line per municipality, each reminder once, and a non-zero
exit when mail failed (the failed ones are sent by the next run)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from broen.core import accounts
from broen.core.models import Citizen
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course
from tests.conftest import World
from tests.fixtures.smtp import Inbox, free_port, smtp_server

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]


def tomorrow() -> date:
    """Tomorrow in Copenhagen, where the world's municipalities are."""
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date() + timedelta(days=1)


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["cafe", "send-reminders", *args])
    return result.exit_code, result.output


def test_send_reminders_reports_each_municipality_and_sends_once(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, smtp_server: Inbox
) -> None:
    app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = smtp_server.host, smtp_server.port
    with app.app_context():
        db = app.extensions["broen.db"]
        course = make_course(first_date=tomorrow())
        by = cafe_world.user("silkeborg", "coordinator")
        for name in ("Ane", "Bent"):
            services.sign_up(db, course, make_citizen(name, email=f"{name.lower()}@example.dk"), by)
        norddjurs = make_course("norddjurs", first_date=tomorrow() + timedelta(days=1))
        services.sign_up(
            db,
            norddjurs,
            make_citizen("Dorthe", "norddjurs", email="dorthe@example.dk"),
            cafe_world.user("norddjurs", "coordinator"),
        )

        code, output = run(app)
        assert code == 0, output
        assert "Silkeborg Kommune: 2 reminders sent, 0 failed" in output
        assert "Norddjurs Kommune: 0 reminders sent, 0 failed" in output
        assert sorted(str(m["To"]) for m in smtp_server.messages) == ["ane@example.dk", "bent@example.dk"]

        code, output = run(app, "--municipality", "silkeborg")
        assert code == 0
        assert output.strip() == "Silkeborg Kommune: 0 reminders sent, 0 failed"
        assert len(smtp_server.messages) == 2

        accounts.set_plugin_enabled(db, cafe_world.municipalities["norddjurs"], "cafe", False)
        code, output = run(app, "--municipality", "norddjurs")
        assert code == 0 and "the café is off" in output


def test_send_reminders_exits_non_zero_when_mail_fails_and_the_next_run_sends_them(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, smtp_server: Inbox
) -> None:
    app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = "127.0.0.1", free_port()
    with app.app_context():
        db = app.extensions["broen.db"]
        course = make_course(first_date=tomorrow())
        services.sign_up(
            db,
            course,
            make_citizen("Ane", email="ane@example.dk"),
            cafe_world.user("silkeborg", "coordinator"),
        )
        code, output = run(app)
        assert code == 1
        assert "Silkeborg Kommune: 0 reminders sent, 1 failed" in output
        assert "1 reminders could not be sent" in output and "ane@example.dk" not in output

        app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = smtp_server.host, smtp_server.port
        code, output = run(app)
        assert code == 0 and "Silkeborg Kommune: 1 reminders sent, 0 failed" in output
    assert [str(m["To"]) for m in smtp_server.messages] == ["ane@example.dk"]


def test_an_unknown_municipality_is_a_usage_error(app: Flask, cafe_world: World) -> None:
    with app.app_context():
        code, output = run(app, "--municipality", "atlantis")
    assert code == 2 and "no municipality 'atlantis'" in output
