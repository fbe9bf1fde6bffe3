"""A test plugin that implements every hook and writes down each call, and for which municipality.

It contributes one visible thing per page hook, so a test can see both that a hook ran and that its
answer reached the page. Register an instance through `make_app(..., plugins=[..., ("recorder", r)])`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask
from wtforms import StringField
from wtforms.validators import Length

from broen import api


class Recorder:
    def __init__(self, name: str = "recorder") -> None:
        self.name = name
        #: (hook name, municipality slug or None for start-up hooks), in call order.
        self.calls: list[tuple[str, str | None]] = []
        #: Its own kind of invitable record (`invitation.subject_type`), what it linked (record id, user
        #: id), and what to raise instead, to refuse an invitation.
        self.subject_type = f"{name}_thing"
        self.linked: list[tuple[int, int]] = []
        self.refuse: Exception | None = None
        #: Its extra field's values, by (target, record id); a value it refuses, and what to raise on saving.
        self.extra: dict[tuple[str, int], str] = {}
        self.refuse_value = "refused"
        self.fail_saving: Exception | None = None
        #: What to raise while an imported configuration is written (`apply=True`).
        self.fail_importing: Exception | None = None

    def hooks_for(self, slug: str | None) -> set[str]:
        return {hook for hook, where in self.calls if where == slug}

    def slugs(self) -> set[str | None]:
        return {where for _hook, where in self.calls}

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        self.calls.append(("broen_plugin_info", None))
        return api.PluginInfo(name=self.name, title_da="Optager", title_en="Recorder")

    @api.hookimpl
    def broen_register_blueprints(self, app: Flask) -> list[Blueprint]:
        self.calls.append(("broen_register_blueprints", None))
        return []

    @api.hookimpl
    def broen_register_admin_views(self, admin: Any, session: Any) -> None:
        self.calls.append(("broen_register_admin_views", None))

    @api.hookimpl
    def broen_migrations(self) -> Path | None:
        self.calls.append(("broen_migrations", None))
        return None

    @api.hookimpl
    def broen_menu_items(self, municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
        self.calls.append(("broen_menu_items", municipality.slug))
        return [api.MenuItem("Recorder menu", "core.home", order=90)]

    @api.hookimpl
    def broen_worklist_items(self, municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
        self.calls.append(("broen_worklist_items", municipality.slug))
        return [api.WorklistItem("Recorder task")]

    @api.hookimpl
    def broen_home_panels(self, municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
        self.calls.append(("broen_home_panels", municipality.slug))
        return [api.HomePanel("Recorder home panel", "<p>recorded at home</p>")]

    @api.hookimpl
    def broen_outcome_figures(
        self, municipality: api.Municipality, start: date, end: date
    ) -> list[api.OutcomeFigure]:
        self.calls.append(("broen_outcome_figures", municipality.slug))
        return [
            api.OutcomeFigure("recorder.days", "Days in the period", (end - start).days + 1, kind="total")
        ]

    @api.hookimpl
    def broen_citizen_data(self, citizen: api.Citizen) -> list[api.DataSection]:
        self.calls.append(("broen_citizen_data", None))
        return [api.DataSection("things", "Recorded things", [{"citizen": citizen.id}])]

    @api.hookimpl
    def broen_erase_citizen(self, citizen: api.Citizen, by: api.User | None) -> None:
        self.calls.append(("broen_erase_citizen", None))

    @api.hookimpl
    def broen_records_deleted(
        self, municipality: api.Municipality, target: str, record_ids: list[int]
    ) -> None:
        self.calls.append(("broen_records_deleted", None))

    @api.hookimpl
    def broen_citizen_panels(self, citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
        self.calls.append(("broen_citizen_panels", citizen.municipality.slug))
        return [api.CitizenPanel("Recorder panel", "<p>recorded</p>")]

    @api.hookimpl
    def broen_field_targets(self, municipality: api.Municipality) -> list[api.FieldTarget]:
        self.calls.append(("broen_field_targets", municipality.slug))
        return [api.FieldTarget("recorder_thing", "Optaget ting", "Recorded thing")]

    @api.hookimpl
    def broen_extra_fields(
        self, municipality: api.Municipality, target: str, record_id: int | None, user: api.User
    ) -> list[api.ExtraField]:
        self.calls.append(("broen_extra_fields", municipality.slug))
        value = self.extra.get((target, record_id)) if record_id is not None else None
        field = StringField("Recorder note", validators=[Length(max=20)], description="Up to 20 characters.")
        return [api.ExtraField(f"{self.name}__note", field, value)]

    @api.hookimpl
    def broen_save_extra_fields(
        self, municipality: api.Municipality, target: str, record_id: int, user: api.User, data: Any
    ) -> None:
        self.calls.append(("broen_save_extra_fields", municipality.slug))
        if self.fail_saving is not None:
            raise self.fail_saving
        value = data[f"{self.name}__note"] or ""
        if value == self.refuse_value:
            raise api.ExtraFieldError(f"{self.name}__note", "The recorder refuses this note.")
        self.extra[(target, record_id)] = value

    @api.hookimpl
    def broen_extra_facts(
        self, municipality: api.Municipality, target: str, record_id: int, user: api.User
    ) -> list[api.ExtraFact]:
        self.calls.append(("broen_extra_facts", municipality.slug))
        return [api.ExtraFact("Recorder note", self.extra.get((target, record_id), ""))]

    @api.hookimpl
    def broen_list_columns(
        self, municipality: api.Municipality, target: str, user: api.User
    ) -> list[api.ListColumn]:
        self.calls.append(("broen_list_columns", municipality.slug))
        return [api.ListColumn(f"{self.name}__note", "Recorder note", filter="text")]

    @api.hookimpl
    def broen_list_values(
        self, municipality: api.Municipality, target: str, columns: Any, record_ids: Any, user: api.User
    ) -> list[api.ListValues]:
        self.calls.append(("broen_list_values", municipality.slug))
        values = {rid: self.extra.get((target, rid), "") for rid in record_ids}
        return [api.ListValues(f"{self.name}__note", values)]

    @api.hookimpl
    def broen_list_conditions(
        self, municipality: api.Municipality, target: str, id_column: Any, filters: Any, user: api.User
    ) -> list[Any]:
        self.calls.append(("broen_list_conditions", municipality.slug))
        wanted = str(filters.get(f"{self.name}__note", ""))
        return [
            id_column.in_([rid for (t, rid), note in self.extra.items() if t == target and wanted in note])
        ]

    @api.hookimpl
    def broen_calendar_events(
        self,
        municipality: api.Municipality,
        feed: str,
        viewer: api.User | None,
        start: datetime,
        end: datetime,
    ) -> list[api.CalendarEvent]:
        self.calls.append(("broen_calendar_events", municipality.slug))
        at = start + timedelta(days=40)
        return [
            api.CalendarEvent(
                uid=f"recorder-{municipality.slug}@broen",
                start=at,
                end=at + timedelta(hours=1),
                summary="Recorder meeting",
                last_modified=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ]

    @api.hookimpl
    def broen_invitation_accepted(self, invitation: api.Invitation, user: api.User) -> bool | None:
        self.calls.append(("broen_invitation_accepted", invitation.municipality.slug))
        if invitation.subject_type != self.subject_type:
            return None
        if self.refuse is not None:
            raise self.refuse
        assert invitation.subject_id is not None
        self.linked.append((invitation.subject_id, user.id))
        return True

    @api.hookimpl
    def broen_demo_data(
        self, municipality: api.Municipality, staff: list[api.User], citizens: list[api.Citizen]
    ) -> None:
        self.calls.append(("broen_demo_data", municipality.slug))

    @api.hookimpl
    def broen_export_configuration(self, municipality: api.Municipality) -> dict[str, Any]:
        self.calls.append(("broen_export_configuration", municipality.slug))
        return {"note": "recorded"}

    @api.hookimpl
    def broen_import_configuration(
        self, municipality: api.Municipality, section: Any, user: api.User | None, apply: bool
    ) -> list[str]:
        self.calls.append(("broen_import_configuration", municipality.slug))
        if self.fail_importing is not None and apply:
            raise self.fail_importing
        if set(section) - {"note"}:
            raise api.ConfigurationError(
                [f"{key}: not a recorder key" for key in sorted(set(section) - {"note"})]
            )
        return [f"Recorder note: {section.get('note', '')}"]

    @api.hookimpl
    def broen_cli(self, group: click.Group) -> None:
        self.calls.append(("broen_cli", None))
