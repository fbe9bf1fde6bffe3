"""Sending e-mail through the SMTP server in the [mail] settings.

`send` is the one way broen (and a plugin, through `broen.api.mail`) sends mail. The log gets the
subject only: addresses and bodies may name a citizen, and logs are kept longer and read more widely
than the database.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from broen.core.config import MailSettings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The message could not be handed to the SMTP server; the message says why (never to whom)."""


def _settings() -> MailSettings:
    settings: MailSettings = current_app.config["BROEN"].mail
    return settings


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)  # UTF-8, with a transfer encoding chosen for the text
    return message


def send(to: str, subject: str, body: str, *, settings: MailSettings | None = None) -> None:
    """Send a plain-text e-mail to one address, now; raises `MailError` if the server does not take it.

    Uses STARTTLS (with certificate checks) when `mail.starttls` is set and logs in when `mail.username`
    is set. Call it after committing: mail cannot be rolled back.
    """
    settings = settings or _settings()
    message = build_message(settings.sender, to, subject, body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # OSError: refused, unreachable, timed out, TLS
        log.warning("mail %r not sent: %s", subject, type(exc).__name__)
        # The reason names the error, not the server's reply: a refused recipient's reply quotes the address.
        reason = type(exc).__name__
        if isinstance(exc, smtplib.SMTPResponseException):
            reason += f" {exc.smtp_code}"
        elif isinstance(exc, OSError) and exc.strerror:
            reason += f": {exc.strerror}"
        raise MailError(
            f"could not send mail through {settings.host}:{settings.port} ({reason}); check the [mail] settings"
        ) from exc
    log.info("mail %r sent", subject)


__all__ = ["MailError", "send"]
