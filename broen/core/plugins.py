"""Finding plugins, knowing which are on where, and calling their hooks safely.

Installed is not enabled: every installed plugin registers its routes and views once, and each
municipality turns on a subset (stored in `PluginState`). Hooks are called through
`pm.subset_hook_caller` with the municipality's disabled plugins removed, one plugin at a time, so a
plugin that raises is logged by name and the rest of the page still renders.

Whatever is wrong with a plugin that can be seen at start-up (a misspelt hook, a missing or wrong
`broen_plugin_info`, a name that would clash with the core's URLs, settings without defaults) stops
start-up with a `PluginError` that names the plugin, instead of failing later on some page.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pluggy
from flask import current_app, g, has_request_context, request
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import SQLAlchemyError

from broen.calendar.events import CalendarEvent
from broen.core import hookspecs
from broen.core.db import Database
from broen.core.extra_columns import ListColumn, ListValues
from broen.core.extra_fields import ExtraFact, ExtraField
from broen.core.models import Municipality, PluginState
from broen.core.plugin_values import (
    CitizenPanel,
    FieldTarget,
    HomePanel,
    MenuItem,
    OutcomeFigure,
    PluginInfo,
    WorklistItem,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "broen"
HOOK_PREFIX = "broen_"
#: A plugin's name prefixes its tables and is a path segment of its URLs: keep it a plain identifier.
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: Names a plugin may not take: its URLs (`/<municipality>/<name>/`) would shadow the core's pages there,
#: or its blueprint would clash with one of the core's.
RESERVED_NAMES = frozenset({"admin", "auth", "calendar", "citizens", "core", "feeds", "public", "static"})
#: What each item of a *per municipality* hook's answer must be; a plugin answering anything else is
#: treated like one that raised, so a wrong type never reaches a template.
ITEM_TYPES: Mapping[str, type] = {
    "broen_menu_items": MenuItem,
    "broen_worklist_items": WorklistItem,
    "broen_home_panels": HomePanel,
    "broen_citizen_panels": CitizenPanel,
    "broen_outcome_figures": OutcomeFigure,
    "broen_calendar_events": CalendarEvent,
    "broen_field_targets": FieldTarget,
    "broen_extra_fields": ExtraField,
    "broen_extra_facts": ExtraFact,
    "broen_list_columns": ListColumn,
    "broen_list_values": ListValues,
    "broen_list_conditions": ColumnElement,
}
#: Setting types a default may have: JSON's own, plus the ones stored as ISO strings and read back.
_SETTING_TYPES = (str, int, float, bool, list, dict, date, time, Decimal)


_NOT_SCOPED = object()


class PluginError(Exception):
    """A plugin is broken in a way that must stop start-up (missing info, misspelt hook...)."""


@dataclass(frozen=True)
class HookFailure:
    plugin: str
    hook: str


class BroenPluginManager(pluggy.PluginManager):
    """pluggy's manager, but a function named `broen_*` without `@hookimpl` is an error.

    pluggy would silently skip such a function, so a forgotten marker would look like a hook that is
    never called; pytest accepts unmarked hooks instead, broen insists on the marker and says so.
    """

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        # getattr_static, as pluggy does: looking must not run a plugin's properties.
        if (
            opts is None
            and name.startswith(HOOK_PREFIX)
            and inspect.isroutine(inspect.getattr_static(plugin, name, None))
        ):
            raise pluggy.PluginValidationError(
                plugin, f"{name} looks like a hook but is not marked with @hookimpl (broen.api.hookimpl)"
            )
        return opts


def _plugin_label(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or getattr(plugin, "__name__", None) or type(plugin).__name__


def _one_line(exc: Exception) -> str:
    # pluggy's messages span lines (definition, then the problem); a start-up error reads best as one.
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _unknown_hooks(pm: pluggy.PluginManager) -> list[str]:
    """One line per hook implementation that has no spec: the plugin, the hook, a likely spelling."""
    known = [name for name in vars(pm.hook) if not name.startswith("_") and getattr(pm.hook, name).has_spec()]
    problems = []
    for name, caller in sorted(vars(pm.hook).items()):
        if name.startswith("_") or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook:
                continue
            guess = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            problems.append(f"plugin {impl.plugin_name!r} implements unknown hook {name!r}{hint}")
    return problems


def build_plugin_manager(extra_plugins: Iterable[tuple[str, object]] = ()) -> pluggy.PluginManager:
    """Load the installed plugins (entry points) and any given ones; fail loudly on a misspelt hook."""
    pm = BroenPluginManager("broen")
    pm.add_hookspecs(hookspecs)
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {_plugin_label(pm, exc.plugin)!r}: {_one_line(exc)}") from exc
    except Exception as exc:  # an installed plugin that cannot even be imported
        raise PluginError(f"loading the plugins of the {ENTRY_POINT_GROUP!r} entry points: {exc!r}") from exc
    for name, plugin in extra_plugins:
        registered = pm.get_plugin(name)
        if registered is plugin:
            continue
        if registered is not None:
            raise PluginError(f"plugin {name!r}: another plugin is installed under the same name")
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r}: {_one_line(exc)}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        # pluggy names one hook; say which plugin, every unknown hook, and the likely spelling.
        problems = _unknown_hooks(pm) or [f"plugin {_plugin_label(pm, exc.plugin)!r}: {_one_line(exc)}"]
        raise PluginError("; ".join(problems) + " (the hooks are listed in docs/plugins.md)") from exc
    return pm


def _check_info(name: str, info: object) -> PluginInfo:
    if not isinstance(info, PluginInfo):
        raise PluginError(f"plugin {name!r}: broen_plugin_info must return a broen.api.PluginInfo")
    if info.name != name:
        raise PluginError(
            f"plugin {name!r}: broen_plugin_info says its name is {info.name!r}; "
            "use the name it is registered under (its entry-point name)"
        )
    for key, value in info.defaults.items():
        if value is not None and not isinstance(value, _SETTING_TYPES):
            raise PluginError(
                f"plugin {name!r}: the default of setting {key!r} is a {type(value).__name__}; "
                "use str, int, float, bool, list, dict, date, datetime, time or Decimal"
            )
    if info.settings_form is not None:
        fields = {field.name for field in info.settings_form()}
        missing, extra = sorted(fields - set(info.defaults)), sorted(set(info.defaults) - fields)
        if missing or extra:
            raise PluginError(
                f"plugin {name!r}: every field of settings_form needs a default and every default a field "
                f"(no default: {missing}, no field: {extra})"
            )
    return info


def encode_setting(value: Any) -> Any:
    """A value as JSON can hold it (dates, times and decimals as ISO strings)."""
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_setting(default: Any, saved: Any) -> Any:
    """A saved value read back with the type of its default; ValueError if it cannot be."""
    if default is None or saved is None:
        return saved
    kind = type(default)
    if isinstance(default, bool) != isinstance(saved, bool):  # bool is an int to Python, not to a setting
        raise ValueError(f"{saved!r} is not a {kind.__name__}")
    if isinstance(saved, kind):
        return saved
    if kind in (datetime, date, time) and isinstance(saved, str):
        return kind.fromisoformat(saved)
    if kind is Decimal and isinstance(saved, str | int):
        return Decimal(saved)
    if kind is float and isinstance(saved, int):
        return float(saved)
    raise ValueError(f"{saved!r} is not a {kind.__name__}")


class PluginRegistry:
    """The installed plugins of one app and the per-municipality view of them."""

    def __init__(self, pm: pluggy.PluginManager, db: Database) -> None:
        self.pm = pm
        self.db = db
        self.info: dict[str, PluginInfo] = {}
        impls = {impl.plugin_name: impl for impl in pm.hook.broen_plugin_info.get_hookimpls()}
        for name, plugin in pm.list_name_plugin():
            if plugin is None:  # blocked
                continue
            if not PLUGIN_NAME.match(name) or name in RESERVED_NAMES:
                raise PluginError(
                    f"plugin {name!r}: a plugin's name is 2-40 lower-case letters, digits or _, starting "
                    f"with a letter, and not one of {sorted(RESERVED_NAMES)}"
                )
            if name not in impls:
                raise PluginError(f"plugin {name!r}: it must implement broen_plugin_info")
            for hook_name in self._hook_names():
                for impl in getattr(pm.hook, hook_name).get_hookimpls():
                    if impl.plugin_name == name and (impl.wrapper or impl.hookwrapper):
                        raise PluginError(
                            f"plugin {name!r}: {hook_name} is a hook wrapper; broen calls each plugin's "
                            "hook on its own, so wrappers are not supported"
                        )
            try:
                info = impls[name].function()
            except Exception as exc:
                raise PluginError(f"plugin {name!r}: broen_plugin_info raised {exc!r}") from exc
            self.info[name] = _check_info(name, info)

    def _hook_names(self) -> list[str]:
        return [name for name in vars(self.pm.hook) if name.startswith(HOOK_PREFIX)]

    @property
    def names(self) -> list[str]:
        return sorted(self.info)

    def enabled_names(self, municipality: Municipality) -> frozenset[str]:
        """The plugins turned on in this municipality (cached for the rest of the request).

        The cache lives in the request's WSGI environ, not on `g`: an app context (and its `g`) may
        outlive one request, e.g. in tests that hold one, and must not carry a stale answer over.
        """
        cache: dict[int, frozenset[str]] | None = (
            request.environ.setdefault("broen.enabled_plugins", {}) if has_request_context() else None
        )
        if cache is not None and municipality.id in cache:
            return cache[municipality.id]
        rows = self.db.session.scalars(
            select(PluginState.plugin).where(
                PluginState.municipality_id == municipality.id, PluginState.enabled.is_(True)
            )
        )
        names = frozenset(n for n in rows if n in self.info)
        if cache is not None:
            cache[municipality.id] = names
        return names

    def forget_enabled(self, municipality_id: int) -> None:
        """Drop this request's cached answer of `enabled_names` for a municipality, after a write in the
        request turned its plugins on or off (or undid that)."""
        if has_request_context():
            request.environ.get("broen.enabled_plugins", {}).pop(municipality_id, None)

    def is_enabled(self, name: str, municipality: Municipality) -> bool:
        return name in self.enabled_names(municipality)

    def settings(self, name: str, municipality: Municipality) -> dict[str, Any]:
        """A plugin's settings in a municipality: its typed defaults, overlaid with the saved values.

        A saved value that no longer fits its default's type (the plugin changed it in a new version)
        is ignored with a warning, so a plugin always gets the types it declared.
        """
        defaults = self.info[name].defaults
        values = dict(defaults)
        saved = self.db.session.scalar(
            select(PluginState.settings).where(
                PluginState.municipality_id == municipality.id, PluginState.plugin == name
            )
        )
        for key, value in (saved or {}).items():
            if key not in defaults:
                continue
            try:
                values[key] = decode_setting(defaults[key], value)
            except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
                log.warning("plugin %s: saved setting %r in %s ignored", name, key, municipality.slug)
        return values

    def encode_settings(self, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """What to store in `PluginState.settings` for these values: known keys only, JSON-safe."""
        defaults = self.info[name].defaults
        return {key: encode_setting(value) for key, value in values.items() if key in defaults}

    def call_each(self, hook_name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook (not per municipality) for every installed plugin: (name, answer) pairs.

        A plugin that raises here stops start-up with a `PluginError` naming it: a missing blueprint or
        admin view is not something to find out about on a page.
        """
        return list(self._each(hook_name, kwargs))

    def _each(self, hook_name: str, kwargs: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        for impl in reversed(self._hookimpls(getattr(self.pm.hook, hook_name), kwargs)):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc!r}") from exc
            yield impl.plugin_name, result

    def register_admin_views(self, admin: Any, session: Any) -> None:
        """Let every plugin add its Flask-Admin views, and tie each `ScopedModelView` to its plugin.

        A scoped view whose author left out `plugin = "<name>"` gets it here, so a plugin's admin view
        is never shown in a municipality that has the plugin off; one that names another plugin is
        refused.
        """
        seen = len(admin._views)
        for name, _result in self._each("broen_register_admin_views", {"admin": admin, "session": session}):
            # _each is lazy: the plugin's hook has just run, so the views after `seen` are its own.
            for view in admin._views[seen:]:
                declared = getattr(view, "plugin", _NOT_SCOPED)
                if declared is None:
                    view.plugin = name
                elif declared is not _NOT_SCOPED and declared != name:
                    raise PluginError(
                        f"plugin {name!r}: admin view {type(view).__name__} says plugin = {declared!r}"
                    )
            seen = len(admin._views)

    def call(self, hook_name: str, municipality: Municipality, /, **kwargs: Any) -> list[Any]:
        """Call a *per municipality* hook for the plugins this municipality has on.

        Each plugin's implementation runs on its own: a failure is logged with the plugin's name,
        remembered for the page (admins see it), and the other plugins' answers are still returned.
        """
        return [result for _name, result in self._call(hook_name, municipality, kwargs, flat=False)]

    def call_flat(self, hook_name: str, municipality: Municipality, /, **kwargs: Any) -> list[Any]:
        """`call` for hooks that return sequences: one list of everything every plugin returned.

        An answer that is not a list of the hook's item type (`ITEM_TYPES`) counts as a failure of
        that plugin, like an exception.
        """
        return [
            item for _name, items in self._call(hook_name, municipality, kwargs, flat=True) for item in items
        ]

    def call_strict(self, hook_name: str, municipality: Municipality, /, **kwargs: Any) -> None:
        """Call a *per municipality* hook that writes, for the plugins this municipality has on, letting
        every failure through to the caller: unlike a page hook, a plugin that fails to save must stop
        the save (the caller rolls back), not be left out of it."""
        for impl in reversed(self._hookimpls(self._subset(hook_name, municipality), kwargs)):
            impl.function(*[kwargs[arg] for arg in impl.argnames])

    def _impl(self, plugin: str, hook_name: str) -> pluggy.HookImpl | None:
        for impl in self._hookimpls(getattr(self.pm.hook, hook_name), {}, check=False):
            if impl.plugin_name == plugin:
                return impl
        return None

    def implements(self, plugin: str, hook_name: str) -> bool:
        """Whether `plugin` implements the hook."""
        return self._impl(plugin, hook_name) is not None

    def call_plugin(self, plugin: str, hook_name: str, /, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook, on or off anywhere, letting a failure through (None if
        it has none): for a caller that decides per plugin, e.g. an import that turns plugins on."""
        impl = self._impl(plugin, hook_name)
        if impl is None:
            return None
        self._hookimpls(getattr(self.pm.hook, hook_name), kwargs)  # the call must match the spec
        return impl.function(*[kwargs[arg] for arg in impl.argnames])

    def _subset(self, hook_name: str, municipality: Municipality) -> Any:
        """The hook's caller without the plugins `municipality` has off."""
        enabled = self.enabled_names(municipality)
        disabled = [p for n, p in self.pm.list_name_plugin() if n not in enabled and p is not None]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=disabled)

    def _hookimpls(self, caller: Any, kwargs: Mapping[str, Any], check: bool = True) -> list[pluggy.HookImpl]:
        # A call that does not match the spec is a bug in the core, not in a plugin: say so loudly
        # instead of blaming whichever plugin first asks for the missing argument.
        if check and caller.spec is not None and set(kwargs) != set(caller.spec.argnames):
            raise TypeError(f"{caller.name} takes {caller.spec.argnames}, was called with {sorted(kwargs)}")
        impls: list[pluggy.HookImpl] = caller.get_hookimpls()
        return impls

    def _call(
        self, hook_name: str, municipality: Municipality, kwargs: Mapping[str, Any], *, flat: bool
    ) -> list[tuple[str, Any]]:
        caller = self._subset(hook_name, municipality)
        item_type = ITEM_TYPES.get(hook_name)
        results: list[tuple[str, Any]] = []
        # pluggy calls the last registered implementation first; keep that order.
        for impl in reversed(self._hookimpls(caller, kwargs)):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
                if flat:
                    result = _as_items(result, item_type)
            except Exception as exc:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                if isinstance(exc, SQLAlchemyError):
                    # On PostgreSQL a failed statement aborts the transaction, and every later query of
                    # the page would fail with it. The core commits its own writes before page hooks.
                    self.db.session.rollback()
                if has_request_context():
                    failures: list[HookFailure] = g.setdefault("plugin_failures", [])
                    failure = HookFailure(impl.plugin_name, hook_name)
                    if failure not in failures:
                        failures.append(failure)
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results


def _as_items(result: Any, item_type: type | None) -> list[Any]:
    """A plugin's answer to a list-returning hook, checked (a generator is run here, inside the guard)."""
    if result is None:
        return []
    if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
        raise TypeError(f"expected a list, got {type(result).__name__}")
    items = list(result)
    if item_type is not None:
        for item in items:
            if not isinstance(item, item_type):
                raise TypeError(f"expected {item_type.__name__} items, got {type(item).__name__}")
    return items


def registry() -> PluginRegistry:
    """The current app's plugin registry."""
    reg: PluginRegistry = current_app.extensions["broen.plugins"]
    return reg
