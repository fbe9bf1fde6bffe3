"""Danish is the default language and every text in the UI has a Danish translation."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from broen.core import accounts
from broen.core.models import Role
from tests.conftest import PASSWORD, Client, make_app

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "broen" / "translations" / "da" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "broen"), method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_text_has_a_danish_translation() -> None:
    with open(CATALOGUE / "messages.po", "rb") as f:
        catalogue = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}
    missing = sorted(m for m in source_messages() if m not in translated)
    assert not missing, f"run scripts/translations and translate: {missing}"
    untranslated = sorted(
        key for key, m in translated.items() if not (m.string if isinstance(m.string, str) else all(m.string))
    )
    assert not untranslated, f"untranslated in messages.po: {untranslated}"
    fuzzy = sorted(key for key, m in translated.items() if m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with open(CATALOGUE / "messages.po", "rb") as f:
        catalogue = read_po(f)
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalogue:
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run scripts/translations to compile"


@pytest.fixture
def danish_app(database_url: str) -> Iterator[Flask]:
    """An app with the installation's own default language (the other tests read English)."""
    app = make_app(database_url, default_language="da")
    app.test_client_class = Client
    yield app
    app.extensions["broen.db"].dispose()


def test_pages_are_danish_by_default_and_english_on_request(danish_app: Flask) -> None:
    client = danish_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Log ind" in page and 'lang="da"' in page
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page


def test_a_user_chooses_english_for_their_account(danish_app: Flask) -> None:
    with danish_app.app_context():
        db = danish_app.extensions["broen.db"]
        silkeborg = accounts.create_municipality(db, "silkeborg", "Silkeborg Kommune")
        user = accounts.create_user(db, "mette@silkeborg.example.dk", "Mette Kjær", PASSWORD)
        accounts.grant_role(db, user, silkeborg, Role.COORDINATOR)
    client: Client = danish_app.test_client()  # type: ignore[assignment]
    client.login(user)
    assert "Borgere" in client.get("/silkeborg/citizens/").get_data(as_text=True)
    response = client.submit(
        "/me",
        {"language": "en", "current_password": "", "password": "", "confirm": ""},
        follow_redirects=True,
    )
    assert "Your settings are saved." in response.get_data(as_text=True)
    assert "Citizens" in client.get("/silkeborg/citizens/").get_data(as_text=True)
    other = danish_app.test_client()
    assert "Log ind" in other.get("/login").get_data(as_text=True)  # only this account changed
