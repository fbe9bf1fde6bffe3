"""A municipality's configuration as a TOML file: export, preview, import, the presets, and the files an
import must refuse without changing anything (acceptance point of issue 6)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from broen.core import accounts, configuration
from broen.core.configuration import ConfigurationError
from broen.core.models import AuditEntry, Municipality
from broen.plugins.municipal_fields.models import FieldDefinition
from tests.admin import routes
from tests.conftest import EXAMPLE_PLUGIN, Client, World, db_of, make_app, text_of
from tests.plugins.recorder import Recorder

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HEAD = "broen_configuration = 1\n"
FIELD = """
[[plugins.municipal_fields.fields]]
target = "citizen"
key = "case_number"
type = "text"
label_da = "Sagsnummer"
label_en = "Case number"
see_roles = ["admin", "coordinator"]
edit_roles = ["coordinator"]
"""
FIELDS_ON = HEAD + "[plugins.municipal_fields]\nenabled = true\n"


def fields_of(app: Flask, slug: str) -> list[tuple[Any, ...]]:
    """A municipality's fields as the admin would compare them: everything but ids and times."""
    with app.app_context():
        db = db_of(app)
        municipality = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        rows = db.session.scalars(
            select(FieldDefinition)
            .where(FieldDefinition.municipality_id == municipality.id, FieldDefinition.archived_at.is_(None))
            .order_by(FieldDefinition.target, FieldDefinition.position)
        )
        return [
            (
                f.target,
                f.key,
                f.type.value,
                f.label_da,
                f.label_en,
                f.help_da,
                f.help_en,
                f.required,
                f.choices,
                f.see_roles,
                f.edit_roles,
                f.sensitive,
            )
            for f in rows
        ]


def state_of(app: Flask, slug: str) -> dict[str, Any]:
    """Which plugins are on in a municipality, with their settings."""
    with app.app_context():
        plugins = app.extensions["broen.plugins"]
        municipality = db_of(app).session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        enabled = plugins.enabled_names(municipality)
        return {name: (name in enabled, plugins.settings(name, municipality)) for name in plugins.names}


def plan(app: Flask, slug: str, text: str | bytes) -> configuration.Plan:
    with app.app_context():
        db = db_of(app)
        municipality = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        return configuration.plan_import(db, municipality, text, None)


def apply(app: Flask, slug: str, text: str | bytes, by: Any = None) -> configuration.Plan:
    with app.app_context():
        db = db_of(app)
        municipality = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        return configuration.apply_import(db, municipality, text, by)


def export(app: Flask, slug: str) -> str:
    with app.app_context():
        db = db_of(app)
        municipality = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        return configuration.export_configuration(db, municipality)


def body(text: str) -> str:
    """An exported file without its comment header and the line naming where it came from."""
    return "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith("#") and not line.startswith("municipality =")
    ).strip()


def test_norddjurs_exported_and_imported_into_silkeborg_gives_silkeborg_the_same_configuration(
    app: Flask, world: World
) -> None:
    apply(app, "norddjurs", configuration.preset("norddjurs"))
    apply(app, "silkeborg", configuration.preset("silkeborg"))
    exported = export(app, "norddjurs")
    assert 'municipality = "norddjurs"' in exported and "[[plugins.municipal_fields.fields]]" in exported
    assert fields_of(app, "silkeborg") != fields_of(app, "norddjurs")

    done = apply(app, "silkeborg", exported, world.user("silkeborg", "admin"))

    norddjurs = fields_of(app, "norddjurs")
    imported = [row for row in fields_of(app, "silkeborg") if row[:2] in {n[:2] for n in norddjurs}]
    assert imported == norddjurs  # the same definitions, in the same order (each target's first)
    assert state_of(app, "silkeborg") == state_of(app, "norddjurs")
    # Silkeborg's own fields are kept (an import never deletes), and the preview said so.
    lines = [line for change in done.plugins for line in change.lines]
    assert "Keeps 5 fields that are not in the file." in lines
    assert 'Adds the field "Tracks" (indsatsspor) to Citizen.' in lines
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "configuration")
                .order_by(AuditEntry.id.desc())
            )
            .first()
        )
        assert entry is not None and entry.user_name == world.user("silkeborg", "admin").name
    # Exported again, the file says the same (but Silkeborg's kept fields).
    again = body(export(app, "silkeborg"))
    for line in body(exported).splitlines():
        assert line in again


@SQLITE_ONLY
def test_the_preview_lists_what_would_change_and_writes_nothing(app: Flask, world: World) -> None:
    before = routes.snapshot(app)
    preview = plan(app, "silkeborg", configuration.preset("norddjurs"))
    assert routes.differences(before, routes.snapshot(app)) == {}
    assert preview.ok and preview.source == "norddjurs"
    by_name = {change.name: change for change in preview.plugins}
    assert by_name["municipal_fields"].turned_on and by_name["cafe"].turned_on
    assert by_name["cafe"].settings == ["default_session_minutes", "default_capacity"]
    assert 'Adds the field "In a resource programme" (ressourceforloeb) to Citizen.' in (
        by_name["municipal_fields"].lines
    )
    # A field of a plugin the same file turns on (the relatives' referrals) is accepted.
    assert any("(heard_of_us)" in line for line in by_name["municipal_fields"].lines)
    assert any("example" in note.lower() for note in preview.notes)  # not in the file: left as it is
    assert state_of(app, "silkeborg")["cafe"][0] is False


@SQLITE_ONLY
def test_both_presets_import_cleanly_into_an_empty_municipality(app: Flask, world: World) -> None:
    with app.app_context():
        accounts.create_municipality(db_of(app), "aarhus", "Aarhus Kommune")
    for name in configuration.preset_names():
        assert plan(app, "aarhus", configuration.preset(name)).problems == []
    assert configuration.preset_names() == ["norddjurs", "silkeborg"]
    apply(app, "aarhus", configuration.preset("silkeborg"))
    apply(app, "aarhus", configuration.preset("norddjurs"))
    keys = [row[1] for row in fields_of(app, "aarhus")]
    assert {"jobcenter_case_number", "programme", "venue", "indsatsspor", "weekly_hours"} <= set(keys)
    state = state_of(app, "aarhus")
    assert all(state[name][0] for name in ("cafe", "mentors", "relatives", "municipal_fields"))
    assert state["cafe"][1]["default_capacity"] == 10 and state["example"][0] is False
    again = plan(app, "aarhus", configuration.preset("norddjurs"))
    assert again.plugins[-1].lines[0] == "The fields are as in the file already."


def choices(n: int, label: str = "A") -> str:
    return (
        "choices = [\n"
        + "".join(f'  {{ value = "c{i}", da = "{label}", en = "{label}" }},\n' for i in range(n))
        + "]\n"
    )


CHOICE_FIELD = FIELD.replace('type = "text"', 'type = "choice"')
HOSTILE: dict[str, tuple[str | bytes, str]] = {
    "enabled is not true or false": (
        HEAD + '[plugins.municipal_fields]\nenabled = "yes"\n',
        "plugins.municipal_fields.enabled: 'yes' is not true or false.",
    ),
    "fields is a number": (FIELDS_ON + "fields = 3\n", "plugins.municipal_fields.fields: write each field"),
    "a label is a number": (
        FIELDS_ON + FIELD.replace('label_en = "Case number"', "label_en = 12"),
        "plugins.municipal_fields.fields[1].label_en: write text in quotes, not 12.",
    ),
    "an unknown plugin": (
        HEAD + "[plugins.payroll]\nenabled = true\n",
        "plugins.payroll: no plugin of that name is installed here.",
    ),
    "10 MB of choices": (
        FIELDS_ON + CHOICE_FIELD + choices(100_000, "x" * 60),
        "a configuration file may be at most 1 MB",
    ),
    "201 choices": (
        FIELDS_ON + CHOICE_FIELD + choices(201),
        "plugins.municipal_fields.fields[1].choices: 201 choices; give at most 200.",
    ),
    "a long choice label": (
        FIELDS_ON + CHOICE_FIELD + choices(2, "x" * 121),
        "plugins.municipal_fields.fields[1].choices: Choice 1: A label can be at most 120 characters long.",
    ),
    "a key given twice": (
        FIELDS_ON + "enabled = false\n",
        "The file is not valid TOML: Cannot overwrite a value (at line 4",
    ),
    "a table given twice": (
        FIELDS_ON + "[plugins.municipal_fields]\nenabled = true\n",
        "The file is not valid TOML: Cannot declare ('plugins', 'municipal_fields') twice (at line 4",
    ),
    "a field key given twice": (
        FIELDS_ON + FIELD + FIELD,
        "plugins.municipal_fields.fields[2].key: case_number is in the file twice for the same kind of record",
    ),
    "a bad field key": (
        FIELDS_ON + FIELD.replace('key = "case_number"', 'key = "Case Number"'),
        "plugins.municipal_fields.fields[1].key: The key must be",
    ),
    "a target no plugin offers": (
        FIELDS_ON + FIELD.replace('target = "citizen"', 'target = "cafe_course"'),
        "plugins.municipal_fields.fields[1].target: fields cannot be added to 'cafe_course' here",
    ),
    "an unknown role": (
        FIELDS_ON + FIELD.replace('edit_roles = ["coordinator"]', 'edit_roles = ["mayor"]'),
        "plugins.municipal_fields.fields[1].edit_roles: Choose among the roles shown.",
    ),
    "a version this broen does not read": (
        "broen_configuration = 2\n",
        "broen_configuration: version 2 is not known here; this broen reads version 1.",
    ),
    "no version": ("[plugins]\n", "broen_configuration: missing."),
    "bytes that are not UTF-8": (
        b'broen_configuration = 1\nmunicipality = "\xff\xfe"\n',
        "The file is not UTF-8 text (byte 41 cannot be read).",
    ),
    "lists nested too deeply": (HEAD + "x = " + "[" * 50_000 + "]" * 50_000 + "\n", "too deeply"),
    "an unknown setting": (
        HEAD + "[plugins.cafe]\nenabled = true\n[plugins.cafe.settings]\nwaffles = 3\n",
        "plugins.cafe.settings.waffles: there is no such setting",
    ),
    "a setting of the wrong type": (
        HEAD + '[plugins.cafe]\nenabled = true\nsettings = { default_capacity = "many" }\n',
        "plugins.cafe.settings.default_capacity: 'many' is text; write a whole number.",
    ),
    "a setting the plugin's form refuses": (
        HEAD + "[plugins.cafe]\nenabled = true\nsettings = { default_capacity = 0 }\n",
        "plugins.cafe.settings.default_capacity: Number must be between 1 and 500.",
    ),
}


@pytest.fixture
def with_a_field(app: Flask, world: World) -> Iterator[World]:
    """Silkeborg with the fields plugin on and a field of its own, so "changes nothing" has something to
    keep."""
    apply(app, "silkeborg", FIELDS_ON + FIELD.replace("case_number", "own_field"))
    yield world


@SQLITE_ONLY
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_malformed_or_hostile_file_gives_a_clear_report_and_changes_nothing(
    app: Flask, with_a_field: World, name: str
) -> None:
    text, problem = HOSTILE[name]
    before = routes.snapshot(app)
    preview = plan(app, "silkeborg", text)
    assert any(problem in p for p in preview.problems), preview.problems
    with pytest.raises(ConfigurationError) as raised:
        apply(app, "silkeborg", text)
    assert raised.value.problems == preview.problems
    assert routes.differences(before, routes.snapshot(app)) == {}
    assert len(preview.problems) <= configuration.MAX_PROBLEMS + 1


@SQLITE_ONLY
def test_a_file_full_of_problems_lists_the_first_fifty_and_counts_the_rest(app: Flask, world: World) -> None:
    text = FIELDS_ON + FIELD.replace('label_en = "Case number"', "label_en = 12") * 80
    preview = plan(app, "silkeborg", text)
    assert len(preview.problems) == 51 and preview.problems[-1] == "… and 30 more problems."


@pytest.fixture
def recorded(database_url: str, world: World) -> Iterator[tuple[Flask, Recorder]]:
    """An app with the recorder plugin installed (a plugin that can be told to fail)."""
    recorder = Recorder()
    app = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("recorder", recorder)))
    yield app, recorder
    app.extensions["broen.db"].dispose()


def test_a_plugin_failing_in_the_middle_of_an_import_rolls_all_of_it_back(
    recorded: tuple[Flask, Recorder],
) -> None:
    app, recorder = recorded
    recorder.fail_importing = RuntimeError("the recorder broke")
    text = (
        FIELDS_ON + FIELD + '[plugins.cafe]\nenabled = true\n[plugins.recorder]\nenabled = true\nnote = "x"\n'
    )
    before = routes.snapshot(app)
    assert plan(app, "silkeborg", text).ok  # the preview does not write, so the recorder does not fail
    with pytest.raises(ConfigurationError) as raised:
        apply(app, "silkeborg", text)
    assert raised.value.problems == ["plugins.recorder: the plugin failed while reading its part."]
    assert routes.differences(before, routes.snapshot(app)) == {}
    # Without the failure the same file goes in, fields, plugins and all.
    recorder.fail_importing = None
    apply(app, "silkeborg", text)
    assert [row[1] for row in fields_of(app, "silkeborg")] == ["case_number"]
    assert state_of(app, "silkeborg")["recorder"][0] and state_of(app, "silkeborg")["cafe"][0]


@SQLITE_ONLY
def test_a_plugin_off_in_the_file_is_turned_off_and_a_disabled_plugin_not_installed_is_ignored(
    app: Flask, world: World
) -> None:
    text = HEAD + "[plugins.example]\nenabled = false\n[plugins.payroll]\nenabled = false\n"
    preview = plan(app, "silkeborg", text)
    assert preview.ok and preview.plugins[0].turned_off
    assert "plugins.payroll: not installed here, and off in the file: nothing to do." in preview.notes
    apply(app, "silkeborg", text)
    assert state_of(app, "silkeborg")["example"][0] is False
    assert state_of(app, "norddjurs")["example"][0] is True


@SQLITE_ONLY
def test_the_command_line_exports_previews_and_imports(app: Flask, world: World, tmp_path: Path) -> None:
    target, bad = tmp_path / "silkeborg.toml", tmp_path / "bad.toml"
    bad.write_text("broen_configuration = 7\n", encoding="utf-8")
    apply(app, "silkeborg", configuration.preset("silkeborg"))
    runner = app.test_cli_runner()
    with app.app_context():  # the commands run in the app's context, as `broen` gives them one
        exported = runner.invoke(args=["config", "export", "silkeborg", str(target)])
        dry = runner.invoke(args=["config", "import", "norddjurs", str(target), "--dry-run"])
        after_dry = fields_of(app, "norddjurs")
        done = runner.invoke(args=["config", "import", "norddjurs", str(target)])
        refused = runner.invoke(args=["config", "import", "norddjurs", str(bad)])
    assert exported.exit_code == 0, exported.output
    assert "jobcenter_case_number" in target.read_text(encoding="utf-8")
    assert dry.exit_code == 0, dry.output
    assert "Adds the field" in dry.output and "Dry run: nothing was changed." in dry.output
    assert after_dry == []
    assert done.exit_code == 0, done.output
    assert fields_of(app, "norddjurs") == fields_of(app, "silkeborg")
    assert refused.exit_code != 0
    assert "version 7 is not known here" in refused.output and "nothing was changed" in refused.output


def upload(client: Client, municipality_id: int, data: bytes) -> TestResponse:
    token = client.csrf_token("/admin/configuration/")
    return client.post(
        f"/admin/configuration/{municipality_id}/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), "norddjurs.toml")},
        content_type="multipart/form-data",
    )


@SQLITE_ONLY
def test_an_admin_downloads_previews_and_applies_a_configuration_in_the_admin(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client: Client = make_client()
    client.login(world.user("silkeborg", "admin"))
    norddjurs_admin: Client = make_client()
    norddjurs_admin.login(world.user("norddjurs", "admin"))
    assert norddjurs_admin.get(f"/admin/configuration/{silkeborg}/export").status_code == 404
    page = text_of(client.get("/admin/configuration/"))
    assert "Silkeborg Kommune" in page and "Norddjurs" not in page
    downloaded = client.get(f"/admin/configuration/{silkeborg}/export")
    assert downloaded.headers["Content-Disposition"] == 'attachment; filename="silkeborg.toml"'
    assert 'municipality = "silkeborg"' in downloaded.get_data(as_text=True)
    with app.app_context():
        exports = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "configuration", AuditEntry.action == "export"
                )
            )
            .all()
        )
        assert [(e.municipality_id, e.user_name) for e in exports] == [(silkeborg, "Admin Silkeborg")]

    # A hostile file: the problems, and nothing changed.
    before = routes.snapshot(app)
    refused = upload(client, silkeborg, FIELDS_ON.encode() + b"fields = 3\n")
    assert refused.status_code == 400
    assert "The file cannot be imported. Nothing has been changed." in text_of(refused)
    assert "plugins.municipal_fields.fields: write each field" in text_of(refused)
    assert routes.differences(before, routes.snapshot(app)) == {}

    # The preset: a preview that writes nothing, then Apply.
    preview = upload(client, silkeborg, configuration.preset("norddjurs").encode())
    assert preview.status_code == 200
    shown = text_of(preview)
    assert (
        "Municipal fields Turned on." in shown
        and 'Adds the field "Tracks" (indsatsspor) to Citizen.' in shown
    )
    assert routes.differences(before, routes.snapshot(app)) == {}
    signed = re.search(r'name="preview" type="hidden" value="([^"]+)"', preview.get_data(as_text=True))
    assert signed is not None
    # A preview that was changed is refused.
    tampered = client.submit(
        f"/admin/configuration/{silkeborg}/apply",
        {"preview": signed.group(1)[:-2] + "xx"},
        page="/admin/configuration/",
    )
    assert "The preview has expired or is not valid." in text_of(tampered)
    assert routes.differences(before, routes.snapshot(app)) == {}
    applied = client.submit(
        f"/admin/configuration/{silkeborg}/apply", {"preview": signed.group(1)}, page="/admin/configuration/"
    )
    assert applied.status_code == 302
    assert "The configuration is imported into Silkeborg Kommune." in text_of(
        client.get("/admin/configuration/")
    )
    assert [row[1] for row in fields_of(app, "silkeborg")][:2] == ["case_number", "ressourceforloeb"]
