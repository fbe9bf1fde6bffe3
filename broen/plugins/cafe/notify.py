"""The café's e-mails to participants: reminders, moved or cancelled sessions, a seat from the waitlist."""

from __future__ import annotations
