"""Danish is the default language and every text in the UI has a Danish translation."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from tests.conftest import Client, World

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "broen" / "translations" / "da" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
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


def test_pages_are_danish_by_default_and_english_on_request(app: Flask, world: World, client: Client) -> None:
    assert "Log ind" in client.get("/login").get_data(as_text=True)
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page


def test_a_user_who_chose_english_gets_english_after_login(app: Flask, world: World, client: Client) -> None:
    user = world.user("silkeborg", "coordinator")
    client.login(user)
    client.submit("/me", {"language": "en", "password": "", "confirm": ""})
    client.post("/logout", data={"csrf_token": client.csrf_token("/me")})
    fresh = app.test_client()
    assert "Log ind" in fresh.get("/login").get_data(as_text=True)
    client.login(user)
    assert "Citizens" in client.get("/silkeborg/citizens/").get_data(as_text=True)
