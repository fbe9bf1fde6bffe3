"""Finding plugins, knowing which are on where, and calling their hooks safely.

Installed is not enabled: every installed plugin registers its routes and views once, and each
municipality turns on a subset (stored in `PluginState`). Hooks are called through
`pm.subset_hook_caller` with the municipality's disabled plugins removed, one plugin at a time, so a
plugin that raises is logged by name and the rest of the page still renders.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy
from flask import current_app, g, has_request_context
from sqlalchemy import select

from broen.core import hookspecs
from broen.core.db import Database
from broen.core.models import Municipality, PluginState
from broen.core.plugin_values import PluginInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "broen"


class PluginError(Exception):
    """A plugin is broken in a way that must stop start-up (missing info, misspelt hook...)."""


@dataclass(frozen=True)
class HookFailure:
    plugin: str
    hook: str


def build_plugin_manager(extra_plugins: Iterable[tuple[str, object]] = ()) -> pluggy.PluginManager:
    """Load the installed plugins (entry points) and any given ones; fail loudly on a misspelt hook."""
    pm = pluggy.PluginManager("broen")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for name, plugin in extra_plugins:
        if pm.get_plugin(name) is None:
            pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {exc}") from None
    return pm


class PluginRegistry:
    """The installed plugins of one app and the per-municipality view of them."""

    def __init__(self, pm: pluggy.PluginManager, db: Database) -> None:
        self.pm = pm
        self.db = db
        self.info: dict[str, PluginInfo] = {}
        impls = {impl.plugin_name: impl for impl in pm.hook.broen_plugin_info.get_hookimpls()}
        for name, _plugin in pm.list_name_plugin():
            if name not in impls:
                raise PluginError(f"plugin {name!r}: it must implement broen_plugin_info")
            info = impls[name].function()
            if not isinstance(info, PluginInfo):
                raise PluginError(f"plugin {name!r}: broen_plugin_info must return a PluginInfo")
            if info.name != name:
                raise PluginError(
                    f"plugin {name!r}: broen_plugin_info says its name is {info.name!r}; "
                    "use the entry-point name"
                )
            self.info[name] = info

    @property
    def names(self) -> list[str]:
        return sorted(self.info)

    def enabled_names(self, municipality: Municipality) -> frozenset[str]:
        """The plugins turned on in this municipality (cached for the rest of the request)."""
        cache: dict[int, frozenset[str]] | None = (
            g.setdefault("_broen_enabled", {}) if has_request_context() else None
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

    def is_enabled(self, name: str, municipality: Municipality) -> bool:
        return name in self.enabled_names(municipality)

    def settings(self, name: str, municipality: Municipality) -> dict[str, Any]:
        """A plugin's settings in a municipality: its typed defaults, overlaid with the saved values."""
        values = dict(self.info[name].defaults)
        saved = self.db.session.scalar(
            select(PluginState.settings).where(
                PluginState.municipality_id == municipality.id, PluginState.plugin == name
            )
        )
        values.update({k: v for k, v in (saved or {}).items() if k in values})
        return values

    def call(self, hook_name: str, municipality: Municipality, /, **kwargs: Any) -> list[Any]:
        """Call a *per municipality* hook for the plugins this municipality has on.

        Each plugin's implementation runs on its own: a failure is logged with the plugin's name,
        remembered for the page (admins see it), and the other plugins' answers are still returned.
        """
        enabled = self.enabled_names(municipality)
        disabled = [p for n, p in self.pm.list_name_plugin() if n not in enabled]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=disabled)
        results: list[Any] = []
        # pluggy calls the last registered implementation first; keep that order.
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                if has_request_context():
                    g.setdefault("plugin_failures", []).append(HookFailure(impl.plugin_name, hook_name))
                continue
            if result is not None:
                results.append(result)
        return results

    def call_flat(self, hook_name: str, municipality: Municipality, /, **kwargs: Any) -> list[Any]:
        """`call` for hooks that return sequences: one list of everything every plugin returned."""
        return [item for result in self.call(hook_name, municipality, **kwargs) for item in result]


def registry() -> PluginRegistry:
    """The current app's plugin registry."""
    reg: PluginRegistry = current_app.extensions["broen.plugins"]
    return reg
