"""Mail goes out through a real SMTP server (aiosmtpd), in UTF-8, and a server that is not there says so."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from broen import api
from broen.core import mail
from broen.core.config import MailSettings
from tests.conftest import make_app
from tests.fixtures.smtp import Inbox, free_port, smtp_server

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here


@pytest.fixture
def mail_app(smtp_server: Inbox, tmp_path: pytest.TempPathFactory) -> Flask:
    app = make_app(f"sqlite:///{tmp_path}/unused.db")
    app.config["BROEN"].mail.host = smtp_server.host
    app.config["BROEN"].mail.port = smtp_server.port
    app.config["BROEN"].mail.sender = "broen@silkeborg.example.dk"
    return app


def test_a_message_arrives_with_its_sender_recipient_subject_and_utf8_body(
    mail_app: Flask, smtp_server: Inbox
) -> None:
    with mail_app.app_context():
        api.mail.send(
            "anna@example.dk", "Møde på torsdag", "Hej Anna,\nvi ses i caféen. Æblekage og rødgrød."
        )
    (message,) = smtp_server.messages
    assert message["From"] == "broen@silkeborg.example.dk"
    assert message["To"] == "anna@example.dk"
    assert message["Subject"] == "Møde på torsdag"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    # SMTP carries lines ending in CRLF
    assert message.get_content().replace("\r\n", "\n") == "Hej Anna,\nvi ses i caféen. Æblekage og rødgrød.\n"
    assert message["Date"] and message["Message-ID"]
    assert smtp_server.envelopes == [("broen@silkeborg.example.dk", ["anna@example.dk"])]


def test_the_log_names_the_subject_but_not_the_recipient_or_the_body(
    mail_app: Flask, smtp_server: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="broen.core.mail")
    with mail_app.app_context():
        mail.send("anna@example.dk", "Påmindelse", "Anna Jensen, husk mødet.")
    assert "Påmindelse" in caplog.text
    assert "anna@example.dk" not in caplog.text and "Anna Jensen" not in caplog.text


def test_an_unreachable_server_raises_a_clear_error_without_the_recipient(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens there
    settings = MailSettings(host="127.0.0.1", port=port, sender="broen@example.dk")
    with pytest.raises(mail.MailError) as raised:
        mail.send("anna@example.dk", "Møde", "Hej", settings=settings)
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message and "[mail]" in message
    assert "anna@example.dk" not in message and "anna@example.dk" not in caplog.text


def test_a_refused_recipient_is_a_mail_error_that_does_not_quote_the_address(smtp_server: Inbox) -> None:
    settings = MailSettings(host=smtp_server.host, port=smtp_server.port, sender="broen@example.dk")
    with pytest.raises(mail.MailError) as raised:
        mail.send("anna@refused.example", "Møde", "Hej", settings=settings)
    assert "SMTPRecipientsRefused" in str(raised.value)
    assert "anna@refused.example" not in str(raised.value)
    assert smtp_server.messages == []
