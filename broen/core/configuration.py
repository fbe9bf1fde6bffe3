"""A municipality's whole configuration as a TOML file: which plugins are on, their settings, and each
plugin's own part (the municipal fields plugin's fields), to copy to another municipality or installation.

The core owns the file; each plugin owns its part through two hooks, `broen_export_configuration` and
`broen_import_configuration`. An import is checked in full before anything is written (`plan_import`:
the preview), and applied in one transaction (`apply_import`): a problem anywhere, in the file or in a
plugin, leaves the municipality exactly as it was.

The file::

    broen_configuration = 1        # the format's version
    municipality = "norddjurs"     # where it came from (informational: import it anywhere)
    [plugins.cafe]
    enabled = true
    [plugins.cafe.settings]        # the settings that differ from the plugin's defaults
    default_capacity = 10
    [plugins.municipal_fields]
    enabled = true
    [[plugins.municipal_fields.fields]]   # the plugin's own part: every key but enabled and settings
    ...

A plugin the file names is turned on or off as it says, and its settings become its defaults overlaid with
the file's; a plugin the file does not name is left as it is.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from broen.core import audit
from broen.core.db import Database, lock_row, utcnow
from broen.core.i18n import language_of
from broen.core.models import Municipality, PluginState, User
from broen.core.plugins import PluginRegistry, decode_setting, encode_setting, registry

log = logging.getLogger(__name__)

#: The version of the file format this broen reads and writes (`broen_configuration = 1`).
FORMAT_VERSION = 1
#: The largest file an import reads (checked before parsing): a real configuration is a few kilobytes.
MAX_BYTES = 1_000_000
#: At most this many problems are listed; the rest are counted.
MAX_PROBLEMS = 50
EXPORT_HOOK = "broen_export_configuration"
IMPORT_HOOK = "broen_import_configuration"
#: Keys of `[plugins.<name>]` that broen reads itself; every other key is the plugin's own.
CORE_KEYS = ("enabled", "settings")
TOP_KEYS = ("broen_configuration", "municipality", "plugins")
#: The configuration files broen ships (`broen demo` applies the one named after each demo municipality).
PRESETS = Path(__file__).resolve().parent.parent / "presets"
#: The audit log's name for an export or import of a whole configuration.
OBJECT_TYPE = "configuration"
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


class ConfigurationError(Exception):
    """A configuration file (or a plugin's part of one) cannot be imported: one plain-language line per
    problem, each naming its place in the file, e.g. "fields[3].choices: Give at most 200 choices."."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass
class PluginChange:
    """What an import does to one plugin the file names."""

    name: str
    title: str
    was_enabled: bool
    enabled: bool
    #: The keys of the settings whose values change.
    settings: list[str] = field(default_factory=list)
    #: The plugin's own lines (from `broen_import_configuration`), in the user's language.
    lines: list[str] = field(default_factory=list)

    @property
    def turned_on(self) -> bool:
        return self.enabled and not self.was_enabled

    @property
    def turned_off(self) -> bool:
        return self.was_enabled and not self.enabled


@dataclass
class Plan:
    """The preview of an import: per plugin what changes, notes, and the problems that stop it (if any,
    nothing is or was written)."""

    source: str = ""
    plugins: list[PluginChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Entry:
    """One `[plugins.<name>]` of the file, checked."""

    name: str
    enabled: bool
    settings: dict[str, Any]
    section: dict[str, Any]


# --- export ----------------------------------------------------------------------------------------------


def export_configuration(db: Database, municipality: Municipality) -> str:
    """The municipality's configuration as TOML text: every installed plugin on or off, the settings of
    those on that differ from their defaults, and the part of each plugin that is on. Raises
    `ConfigurationError` if a plugin fails to give its part (rather than write an incomplete file)."""
    plugins = registry()
    enabled = plugins.enabled_names(municipality)
    document: dict[str, Any] = {
        "broen_configuration": FORMAT_VERSION,
        "municipality": municipality.slug,
        "plugins": {},
    }
    for name in plugins.names:
        if name not in enabled:
            document["plugins"][name] = {"enabled": False}
            continue
        entry: dict[str, Any] = {"enabled": True}
        defaults = plugins.info[name].defaults
        values = plugins.settings(name, municipality)
        changed = {
            key: encode_setting(value)
            for key, value in values.items()
            if value is not None and value != defaults[key]
        }
        if changed:
            entry["settings"] = changed
        if plugins.implements(name, EXPORT_HOOK):
            try:
                section = plugins.call_plugin(name, EXPORT_HOOK, municipality=municipality)
            except Exception as exc:
                log.exception("plugin %s failed in %s", name, EXPORT_HOOK)
                raise ConfigurationError(
                    [_("plugins.%(name)s: the plugin failed to export its part.", name=name)]
                ) from exc
            if section is not None:
                if not isinstance(section, Mapping) or any(key in CORE_KEYS for key in section):
                    raise ConfigurationError(
                        [
                            _(
                                "plugins.%(name)s: the plugin exported something that is not its part.",
                                name=name,
                            )
                        ]
                    )
                entry.update(section)
        document["plugins"][name] = entry
    try:
        body = tomli_w.dumps(document)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            [_("A plugin exported a value TOML cannot hold (%(error)s).", error=exc)]
        ) from exc
    header = (
        f"# broen configuration of {municipality.name}, exported {utcnow():%Y-%m-%d %H:%M} UTC.\n"
        "# Import it into a municipality in the admin (Configuration) or with `broen config import`.\n"
        "# A plugin named here is turned on or off as it says; a setting left out is the plugin's default;\n"
        "# a plugin not named here is left as it is.\n\n"
    )
    return header + body


def record_export(db: Database, municipality: Municipality, by: User | None) -> None:
    """The audit entry of a download of the configuration (committed)."""
    audit.record(db, audit.EXPORT, OBJECT_TYPE, None, by=by, municipality_id=municipality.id)
    db.session.commit()


# --- reading and checking a file -------------------------------------------------------------------------


def _show(value: Any, limit: int = 40) -> str:
    """A value of the file in a message: short, whatever a hostile file put there."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key(key: str) -> str:
    """A key of the file as TOML writes it: bare if it can be, else quoted (and cut short)."""
    if BARE_KEY.match(key):
        return key
    return '"' + key[:40].replace("\\", "\\\\").replace('"', '\\"') + ('…"' if len(key) > 40 else '"')


def _kind(value: Any) -> str:
    kinds = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }
    return next((k for t, k in kinds.items() if isinstance(value, t)), type(value).__name__)


def _parse(text: str | bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """The file's TOML, or the one problem that stops it being read at all."""
    try:
        raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    except UnicodeEncodeError:
        return None, [_("The file is not UTF-8 text. Save it as UTF-8 and try again.")]
    if len(raw) > MAX_BYTES:
        return None, [
            _(
                "The file is %(size)s MB; a configuration file may be at most %(limit)s MB.",
                size=f"{len(raw) / 1_000_000:.1f}",
                limit=f"{MAX_BYTES / 1_000_000:.0f}",
            )
        ]
    try:
        decoded = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return None, [
            _(
                "The file is not UTF-8 text (byte %(position)d cannot be read). Save it as UTF-8 and try again.",
                position=exc.start + 1,
            )
        ]
    try:
        return tomllib.loads(decoded), []
    except tomllib.TOMLDecodeError as exc:
        return None, [_("The file is not valid TOML: %(error)s.", error=str(exc))]
    except RecursionError:
        return None, [_("The file nests lists or tables too deeply.")]


def _check_settings(
    plugins: PluginRegistry, name: str, raw: Any, problems: list[str]
) -> dict[str, Any] | None:
    """The plugin's settings after the import (its defaults overlaid with the file's), checked by type and
    by the plugin's own settings form, as the admin's settings page checks them; None on a problem."""
    path = f"plugins.{name}.settings"
    info = plugins.info[name]
    if not isinstance(raw, dict):
        problems.append(_("%(path)s: write the settings as a table ([%(path)s]).", path=path))
        return None
    if info.settings_form is None:
        if raw:
            problems.append(_("%(path)s: this plugin has no settings.", path=path))
            return None
        return {}
    before = len(problems)
    values = dict(info.defaults)
    for key, value in raw.items():
        if key not in info.defaults:
            problems.append(
                _(
                    "%(path)s.%(key)s: there is no such setting (the settings are: %(known)s).",
                    path=path,
                    key=_key(key),
                    known=", ".join(sorted(info.defaults)),
                )
            )
            continue
        try:
            values[key] = decode_setting(info.defaults[key], value)
        except (ValueError, TypeError, ArithmeticError):
            problems.append(
                _(
                    "%(path)s.%(key)s: %(value)s is %(kind)s; write %(wanted)s.",
                    path=path,
                    key=key,
                    value=_show(value),
                    kind=_kind(value),
                    wanted=_kind(info.defaults[key]),
                )
            )
    if len(problems) > before:
        return None
    formdata: MultiDict[str, str] = MultiDict()
    for key, value in values.items():
        if isinstance(value, bool):
            formdata.setlist(key, ["y"] if value else [])
        elif isinstance(value, list):
            formdata.setlist(key, [str(encode_setting(v)) for v in value])
        elif value is not None:
            formdata.setlist(key, [str(encode_setting(value))])
    try:
        form = info.settings_form(formdata)
        valid = form.validate()
    except Exception:
        log.exception("plugin %s: its settings form failed on imported settings", name)
        problems.append(_("%(path)s: the plugin could not check these settings.", path=path))
        return None
    if not valid:
        for key, errors in form.errors.items():
            problems.append(f"{path}.{key}: {' '.join(str(e) for e in errors)}")
        return None
    return values


def _check_file(plugins: PluginRegistry, data: dict[str, Any], plan: Plan) -> list[_Entry]:
    """The file's plugins, checked as far as the core can (the plugins' own parts come later)."""
    problems = plan.problems
    version = data.get("broen_configuration")
    if version is None:
        problems.append(
            _("broen_configuration: missing. A configuration file starts with broen_configuration = 1.")
        )
        return []
    if isinstance(version, bool) or version != FORMAT_VERSION:
        problems.append(
            _(
                "broen_configuration: version %(version)s is not known here; this broen reads version %(known)d.",
                version=_show(version),
                known=FORMAT_VERSION,
            )
        )
        return []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                _(
                    "%(key)s: not a key of a configuration file (those are: %(known)s).",
                    key=_key(key),
                    known=", ".join(TOP_KEYS),
                )
            )
    source = data.get("municipality", "")
    if not isinstance(source, str):
        problems.append(_("municipality: write the municipality's short name in quotes."))
    else:
        plan.source = source[:60]
    sections = data.get("plugins", {})
    if not isinstance(sections, dict):
        problems.append(_("plugins: write each plugin as a table ([plugins.<name>])."))
        return []
    entries = []
    for name, section in sections.items():
        path = f"plugins.{_key(name)}"
        if name not in plugins.info:
            if section == {"enabled": False}:
                plan.notes.append(
                    _(
                        "%(path)s: not installed here, and off in the file: nothing to do.",
                        path=path,
                    )
                )
            else:
                problems.append(_("%(path)s: no plugin of that name is installed here.", path=path))
            continue
        if not isinstance(section, dict):
            problems.append(_("%(path)s: write the plugin as a table ([%(path)s]).", path=path))
            continue
        enabled = section.get("enabled")
        if not isinstance(enabled, bool):
            problems.append(
                _("%(path)s.enabled: write enabled = true or enabled = false.", path=path)
                if enabled is None
                else _("%(path)s.enabled: %(value)s is not true or false.", path=path, value=_show(enabled))
            )
            continue
        own = {key: value for key, value in section.items() if key not in CORE_KEYS}
        if not enabled:
            if "settings" in section or own:
                problems.append(
                    _(
                        "%(path)s: the file turns the plugin off, so it takes nothing else (found: %(keys)s).",
                        path=path,
                        keys=", ".join(_key(k) for k in section if k != "enabled"),
                    )
                )
                continue
            entries.append(_Entry(name, False, {}, {}))
            continue
        settings = _check_settings(plugins, name, section.get("settings", {}), problems)
        if own and not plugins.implements(name, IMPORT_HOOK):
            problems.append(
                _(
                    "%(path)s: the plugin takes no other keys than enabled and settings (found: %(keys)s).",
                    path=path,
                    keys=", ".join(_key(k) for k in own),
                )
            )
            continue
        if settings is not None:
            entries.append(_Entry(name, True, settings, own))
    return entries


# --- applying --------------------------------------------------------------------------------------------


def _write_states(
    db: Database,
    plugins: PluginRegistry,
    municipality: Municipality,
    entries: list[_Entry],
    user: User | None,
    plan: Plan,
    record: bool,
) -> None:
    """Turn the file's plugins on or off and store their settings (flushed, not committed)."""
    enabled = plugins.enabled_names(municipality)
    states = {
        state.plugin: state
        for state in db.session.scalars(
            select(PluginState).where(PluginState.municipality_id == municipality.id)
        )
    }
    language = language_of(user)
    for entry in entries:
        info = plugins.info[entry.name]
        change = PluginChange(entry.name, info.title(language), entry.name in enabled, entry.enabled)
        if entry.enabled:
            current = plugins.settings(entry.name, municipality)
            change.settings = [key for key in info.defaults if current.get(key) != entry.settings.get(key)]
        plan.plugins.append(change)
        state = states.get(entry.name)
        if not change.turned_on and not change.turned_off and not change.settings:
            continue
        if state is None:
            state = PluginState(
                municipality_id=municipality.id, plugin=entry.name, enabled=False, settings={}
            )
            db.session.add(state)
        state.enabled = entry.enabled
        if change.settings:
            state.settings = plugins.encode_settings(entry.name, entry.settings)
        if record:
            audit.record(
                db,
                audit.UPDATE,
                "plugin_state",
                None,
                by=user,
                municipality_id=municipality.id,
                plugin=entry.name,
                enabled=entry.enabled,
                fields=change.settings,
            )
    db.session.flush()
    registry().forget_enabled(municipality.id)


def _plugin_lines(
    plugins: PluginRegistry,
    municipality: Municipality,
    entry: _Entry,
    user: User | None,
    apply: bool,
    problems: list[str],
) -> list[str]:
    """The plugin's part, checked (or written), through its own hook; its problems go to `problems`."""
    if not plugins.implements(entry.name, IMPORT_HOOK):
        return []
    prefix = f"plugins.{entry.name}"
    try:
        lines = plugins.call_plugin(
            entry.name, IMPORT_HOOK, municipality=municipality, section=entry.section, user=user, apply=apply
        )
    except ConfigurationError as exc:
        problems.extend(f"{prefix}.{problem}" for problem in exc.problems or [_("cannot be imported.")])
        return []
    except Exception:
        log.exception("plugin %s failed in %s", entry.name, IMPORT_HOOK)
        problems.append(_("%(path)s: the plugin failed while reading its part.", path=prefix))
        return []
    if lines is None:
        return []
    if isinstance(lines, str | bytes | Mapping) or not all(isinstance(line, str) for line in lines):
        problems.append(_("%(path)s: the plugin failed while reading its part.", path=prefix))
        return []
    return list(lines)


def _trimmed(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return [
        *problems[:MAX_PROBLEMS],
        ngettext("… and %(num)d more problem.", "… and %(num)d more problems.", more),
    ]


def _run(db: Database, municipality: Municipality, text: str | bytes, user: User | None, apply: bool) -> Plan:
    plugins = registry()
    plan = Plan()
    data, plan.problems = _parse(text)
    if data is None:
        return plan
    entries = _check_file(plugins, data, plan)
    if plan.problems:
        plan.problems = _trimmed(plan.problems)
        return plan
    municipality_id = municipality.id
    named = {entry.name for entry in entries}
    for name in plugins.names:
        if name not in named:
            plan.notes.append(
                _(
                    "%(plugin)s: not in the file, left as it is.",
                    plugin=plugins.info[name].title(language_of(user)),
                )
            )
    try:
        if apply:
            lock_row(db, Municipality, municipality_id)
        # The plugins' states are written first (flushed, not committed), so that a plugin asked about its
        # part sees the municipality as the import will leave it (e.g. the field targets of a plugin the
        # same file turns on).
        _write_states(db, plugins, municipality, entries, user, plan, record=apply)
        changes = {change.name: change for change in plan.plugins}
        for entry in entries:
            if entry.enabled:
                changes[entry.name].lines = _plugin_lines(
                    plugins, municipality, entry, user, False, plan.problems
                )
        if plan.problems or not apply:
            db.session.rollback()
            registry().forget_enabled(municipality_id)
            plan.problems = _trimmed(plan.problems)
            return plan
        for entry in entries:
            if entry.enabled:
                problems: list[str] = []
                changes[entry.name].lines = _plugin_lines(plugins, municipality, entry, user, True, problems)
                if problems:
                    raise ConfigurationError(problems)
        audit.record(
            db,
            audit.UPDATE,
            OBJECT_TYPE,
            None,
            by=user,
            municipality_id=municipality_id,
            plugins=sorted(named),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        registry().forget_enabled(municipality_id)
        raise
    registry().forget_enabled(municipality_id)
    return plan


def plan_import(db: Database, municipality: Municipality, text: str | bytes, user: User | None) -> Plan:
    """The preview of importing `text` into `municipality`: everything checked, nothing written.

    The size (at most `MAX_BYTES`, before parsing), UTF-8, TOML (a key or table given twice included, with
    its line), the version, the types, that every plugin named is installed, the settings (as the
    plugin's settings form checks them) and each plugin's own part (its hook, with `apply=False`). The
    plan's `problems` say what stops the import; if there are none, `plugins` says what it would change.
    The session's transaction ends (rolled back): the plugins are asked with the file's plugin states in
    place, which are then undone.
    """
    return _run(db, municipality, text, user, apply=False)


def apply_import(db: Database, municipality: Municipality, text: str | bytes, user: User | None) -> Plan:
    """Import `text` into `municipality`, in one transaction: the same checks as `plan_import`, then the
    plugins on or off, their settings, each plugin's part (its hook, with `apply=True`) and an audit
    entry, committed together. Raises `ConfigurationError` (nothing written) on any problem, a plugin's
    failure while writing included; returns the plan of what it changed."""
    plan = _run(db, municipality, text, user, apply=True)
    if plan.problems:
        raise ConfigurationError(plan.problems)
    return plan


def preset(name: str) -> str:
    """The text of a preset broen ships (`silkeborg`, `norddjurs`)."""
    return (PRESETS / f"{name}.toml").read_text(encoding="utf-8")


def preset_names() -> list[str]:
    return sorted(path.stem for path in PRESETS.glob("*.toml"))
