"""Meta-tests that keep the plugin contract honest (as Datasette's do): every hook is documented in its
docstring and in docs/plugins.md, and every hook is really called by the core.

"Called" is checked by running broen with `tests/plugins/recorder.py`, a plugin that implements every
hook and writes down each call, through start-up, the migrations and the pages that use the page hooks.
A new hookspec fails `test_every_hook_is_called_by_the_core` until the recorder implements it and the
scenario below reaches it, so a hook that nothing calls cannot slip in.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from broen import api
from broen.core import accounts, configuration, hookspecs, invitations, privacy
from broen.core.migrate import upgrade
from broen.core.models import Citizen, Role
from tests.conftest import EXAMPLE_PLUGIN, Client, World, make_app
from tests.plugins.recorder import Recorder

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
PER_MUNICIPALITY = "*Per municipality.*"


def hookspec_functions() -> dict[str, Callable[..., Any]]:
    specs = {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "broen_spec")
    }
    assert len(specs) >= 9, "the hookspecs were not found: did the marker's project name change?"
    return specs


HOOKS = sorted(hookspec_functions())


def docstring(name: str) -> str:
    return inspect.getdoc(hookspec_functions()[name]) or ""


def summary(text: str) -> str:
    """The first paragraph, on one line."""
    return " ".join(text.split("\n\n")[0].split())


def docs_section(name: str) -> str:
    """The reference section of docs/plugins.md for one hook: from its heading to the next heading."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^### `{name}\((?P<args>[^)]*)\)`\n(?P<body>.*?)(?=^#)", text, re.M | re.S)
    assert match, f"docs/plugins.md has no '### `{name}(...)`' section in its hook reference"
    return match.group(0)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_docstring_that_says_what_to_return(name: str) -> None:
    text = docstring(name)
    assert len(text) > 80, f"{name}: the docstring is the plugin author's documentation; write it"
    assert re.search(r"\b(Return|Add)\b", text), f"{name}: say what to return (or add)"
    assert re.search(r"\b(called|runs|Called)\b", text), f"{name}: say when it is called"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_in_the_docs_with_its_signature_and_its_docstrings_summary(name: str) -> None:
    section = docs_section(name)
    documented = re.match(r"### `\w+\((?P<args>[^)]*)\)`", section)
    assert documented is not None
    spec_args = ", ".join(inspect.signature(hookspec_functions()[name]).parameters)
    assert documented.group("args") == spec_args, f"{name}: the docs' signature differs from the spec's"
    assert summary(docstring(name)) in " ".join(section.split()), (
        f"{name}: docs/plugins.md must repeat the docstring's first paragraph, word for word"
    )
    says_per_municipality = "**Per municipality:** yes" in section
    assert says_per_municipality == docstring(name).startswith(PER_MUNICIPALITY), (
        f"{name}: the docs and the docstring disagree on whether the hook is per municipality"
    )


def test_every_public_helper_is_in_the_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("## The public helpers in `broen.api`") :]
    missing = [name for name in api.__all__ if f"`{name}`" not in table]
    assert not missing, f"add these broen.api names to the table in docs/plugins.md: {missing}"


def test_the_python_examples_in_the_docs_are_valid_python() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 7
    for block in blocks:
        ast.parse(block)


def test_the_recorder_implements_every_hook() -> None:
    implemented = {name for name in dir(Recorder) if hasattr(getattr(Recorder, name), "broen_impl")}
    missing = sorted(set(HOOKS) - implemented)
    assert not missing, f"teach tests/plugins/recorder.py these hooks, then call them below: {missing}"


def demo_calls(folder: Path) -> list[tuple[str, str | None]]:
    """The hooks `broen demo` calls, on an empty SQLite database of its own (the demo wants one)."""
    recorder = Recorder()
    app: Flask = make_app(f"sqlite:///{folder / 'demo.db'}", plugins=(("recorder", recorder),))
    try:
        with app.app_context():
            upgrade(app.extensions["broen.db"], app.extensions["broen.plugins"])
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
    finally:
        app.extensions["broen.db"].dispose()
    demo = [call for call in recorder.calls if call[0] == "broen_demo_data"]
    assert sorted(demo) == [("broen_demo_data", "norddjurs"), ("broen_demo_data", "silkeborg")]
    return demo


def test_every_hook_is_called_by_the_core(database_url: str, world: World, tmp_path: Path) -> None:
    recorder = Recorder()
    app: Flask = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("recorder", recorder)))
    try:
        with app.app_context():
            db = app.extensions["broen.db"]
            accounts.set_plugin_enabled(db, world.municipalities["silkeborg"], "recorder", True)
            upgrade(db, app.extensions["broen.plugins"])  # already at head: only asks for the folders
        app.test_client_class = Client
        client: Client = app.test_client()  # type: ignore[assignment]
        client.login(world.user("silkeborg", "coordinator"))
        for url in (
            "/silkeborg/",
            f"/silkeborg/citizens/{world.citizens['silkeborg'][0]}",
            "/silkeborg/calendar/",
        ):
            assert client.get(url).status_code == 200, url
        # A citizen is made through the form with the extra fields (broen_extra_fields, _save_extra_fields).
        made = client.submit(
            "/silkeborg/citizens/new",
            {"name": "Recorded Citizen", "status": "intake", "recorder__note": "hi"},
        )
        assert made.status_code == 302, made.get_data(as_text=True)
        # The citizen list with the recorder's column chosen and filtered by (broen_list_columns,
        # _conditions, _values): only the citizen whose note matches is listed, with the note.
        listed = client.get(
            "/silkeborg/citizens/", query_string={"cols": "recorder__note", "recorder__note": "hi"}
        ).get_data(as_text=True)
        assert "Recorded Citizen" in listed and '<td data-title="Recorder note">hi</td>' in listed
        assert len(re.findall(r'href="/silkeborg/citizens/\d+"', listed)) == 1
        # The municipal fields plugin asks which records may have fields (broen_field_targets).
        with app.test_request_context("/silkeborg/"):
            keys = [t.key for t in api.field_targets(world.municipalities["silkeborg"])]
            assert keys[0] == "citizen" and "recorder_thing" in keys
        # The outcome report asks every plugin for its figures (broen_outcome_figures).
        with app.test_request_context("/silkeborg/"):
            figures = api.outcome_figures(
                world.municipalities["silkeborg"], date(2026, 1, 1), date(2026, 1, 31)
            )
            assert [(f.key, f.value) for f in figures] == [("recorder.days", 31)]
        # An admin exports a citizen's data, a plugin deletes records others may keep data on, and the admin
        # erases the citizen (broen_citizen_data, broen_records_deleted, broen_erase_citizen).
        with app.test_request_context("/silkeborg/"):
            erased = db.session.get_one(Citizen, world.citizens["silkeborg"][1])
            parts = privacy.citizen_parts(db, app.extensions["broen.plugins"], erased)
            assert [s.key for p in parts if p.source == "recorder" for s in p.sections] == ["things"]
            api.records_deleted(world.municipalities["silkeborg"], "recorder_thing", [1])
            privacy.erase_citizen(
                db, app.extensions["broen.plugins"], erased, world.user("silkeborg", "admin")
            )
        # Someone accepts an invitation to one of the recorder's records (broen_invitation_accepted).
        with app.app_context():
            thing = invitations.InvitationSubject(
                type=recorder.subject_type,
                id=1,
                municipality_id=world.municipalities["silkeborg"].id,
                name="Recorded Person",
                role=Role.PARTICIPANT,
            )
            token = invitations.invite_subject(db, thing, world.user("silkeborg", "coordinator"), "print")
        person: Client = app.test_client()  # type: ignore[assignment]
        password = "a long enough password"
        accepted = person.submit(
            f"/invitation/{token}",
            {"email": "recorded@example.dk", "password": password, "confirm": password},
        )
        assert accepted.status_code == 302 and recorder.linked, accepted.get_data(as_text=True)
        # An admin exports Silkeborg's configuration and previews importing it again
        # (broen_export_configuration, broen_import_configuration).
        with app.app_context():
            silkeborg = world.municipalities["silkeborg"]
            exported = configuration.export_configuration(db, silkeborg)
            assert configuration.plan_import(db, silkeborg, exported, None).problems == []
    finally:
        app.extensions["broen.db"].dispose()
    recorder.calls += demo_calls(tmp_path)
    called = {hook for hook, _where in recorder.calls}
    assert called == set(HOOKS), f"never called by the core: {sorted(set(HOOKS) - called)}"
    per_municipality = {hook for hook, where in recorder.calls if where is not None}
    documented = {name for name in HOOKS if docstring(name).startswith(PER_MUNICIPALITY)}
    assert per_municipality == documented, (
        "the docstrings' *Per municipality.* marks are not what the core does"
    )
