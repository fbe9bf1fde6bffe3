"""The app factory: settings, database, security, languages, auth, plugins, admin, in that order.

Everything is registered here, before the first request: Flask refuses new blueprints after it, so
whether a plugin is on in a municipality is checked per request, never by late registration.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Blueprint, Flask, abort, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from broen.core import auth, i18n, metrics, security, tenancy
from broen.core.config import Settings, load_settings
from broen.core.db import Database
from broen.core.plugins import PluginError, PluginRegistry, build_plugin_manager

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    config_path: str | os.PathLike[str] | None = None,
    extra_plugins: Iterable[tuple[str, object]] = (),
    testing: bool = False,
) -> Flask:
    """Build a broen app. Without `settings`, they are read from `config_path`/$BROEN_CONFIG/broen.toml.

    `extra_plugins` registers plugins that are not installed as entry points (tests use it; a real
    plugin is installed and found through the `broen` entry-point group).
    """
    if settings is None:
        settings = load_settings(config_path)
    app = Flask("broen", root_path=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    app.config["BROEN"] = settings
    app.config["TESTING"] = testing
    app.secret_key = settings.broen.secret_key or os.urandom(32).hex()
    if settings.is_production:
        # Behind one reverse proxy (nginx), trust its X-Forwarded-For/-Proto so audit entries and the
        # login throttle see the real address and redirects keep https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    db = Database(settings.broen.database_url, echo=settings.broen.echo_sql)
    app.extensions["broen.db"] = db
    app.teardown_appcontext(db.remove)

    security.init_app(app, settings)
    metrics.init_app(app, settings)
    i18n.init_app(app)
    tenancy.init_app(app, db)
    auth.init_app(app, db)

    plugins = PluginRegistry(build_plugin_manager(extra_plugins), db)
    app.extensions["broen.plugins"] = plugins

    from broen.core import views as core_views
    from broen.core.citizens import views as citizen_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(citizen_views.bp, url_prefix="/<municipality>/citizens")
    from broen.calendar import views as calendar_views

    app.register_blueprint(calendar_views.bp)
    from broen.core import invitations

    app.register_blueprint(invitations.bp)
    _register_plugin_blueprints(app, plugins)
    _add_plugin_translations(app, plugins)

    from broen.admin import init_admin

    init_admin(app, db, plugins)

    from broen.core import templating

    templating.init_app(app, plugins)
    from broen.core import cli

    cli.register(app)
    return app


def _register_plugin_blueprints(app: Flask, plugins: PluginRegistry) -> None:
    owners: dict[str, str] = {}
    for name, blueprints in plugins.call_each("broen_register_blueprints", app=app):
        if isinstance(blueprints, Blueprint) or not all(isinstance(bp, Blueprint) for bp in blueprints or ()):
            raise PluginError(f"plugin {name!r}: broen_register_blueprints must return a list of Blueprints")
        for bp in blueprints or ():
            public = bp.name.endswith("_public")
            prefix = f"/<municipality>/public/{name}" if public else f"/<municipality>/{name}"
            try:
                app.register_blueprint(bp, url_prefix=prefix)
            except ValueError as exc:  # e.g. a blueprint name the core or another plugin uses
                raise PluginError(f"plugin {name!r}: blueprint {bp.name!r}: {exc}") from exc
            owners[bp.name] = name
    app.extensions["broen.blueprint_owners"] = owners

    @app.before_request
    def plugin_enabled_here() -> Any:
        # An app context (and its g) may serve more than one request (tests hold one): failures of
        # an earlier request must not be shown on this one.
        g.pop("plugin_failures", None)
        # A plugin's pages exist only in municipalities that have turned it on.
        if request.blueprint is None:
            return None
        owner = owners.get(request.blueprint.split(".")[0])
        if owner is None:
            return None
        if "municipality" not in g and "municipality_slug" in g:
            return None  # a cached public feed: its one query checks that its plugin is on
        if "municipality" not in g or not plugins.is_enabled(owner, g.municipality):
            abort(404)
        return None


def _add_plugin_translations(app: Flask, plugins: PluginRegistry) -> None:
    """A plugin's `translations/` folder (next to its module, as `templates/`) is found by itself.

    Plugin catalogues are read before the core's, so a plugin cannot change the core's own texts.
    """
    found = []
    for _name, plugin in plugins.pm.list_name_plugin():
        module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(type(plugin).__module__)
        file = getattr(module, "__file__", None)
        if file and (Path(file).parent / "translations").is_dir():
            found.append(str(Path(file).parent / "translations"))
    app.extensions["babel"].translation_directories[:0] = found
