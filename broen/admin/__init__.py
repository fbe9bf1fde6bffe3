"""Flask-Admin at /admin/: municipalities, users, memberships, plugins, audit log, and plugin views."""

from __future__ import annotations

import warnings

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from broen.admin.configuration import ConfigurationView
from broen.admin.views import (
    AuditView,
    IndexView,
    MembershipView,
    MunicipalityView,
    PluginsView,
    PrivacyView,
    ScopedModelView,
    UserView,
)
from broen.core.db import Database
from broen.core.models import AuditEntry, Membership, Municipality, User
from broen.core.plugins import PluginRegistry
from broen.core.security import csrf

__all__ = ["ScopedModelView", "init_admin"]


def init_admin(app: Flask, db: Database, plugins: PluginRegistry) -> Admin:
    admin = Admin(
        app,
        name="broen",
        theme=Bootstrap4Theme(base_template="admin/broen_base.html"),
        index_view=IndexView(name=_l("Overview"), url="/admin"),
    )
    # Flask-Admin 2.2 unwraps only Flask-SQLAlchemy objects, so the scoped session is passed itself;
    # it warns that this way is deprecated (3.0 takes a db object), which is expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Passing a session object directly", DeprecationWarning)
        admin.add_view(MunicipalityView(Municipality, db.session, name=_l("Municipalities")))
        admin.add_view(UserView(User, db.session, name=_l("Users")))
        admin.add_view(MembershipView(Membership, db.session, name=_l("Roles")))
        admin.add_view(PluginsView(name=_l("Plugins"), endpoint="plugins"))
        admin.add_view(ConfigurationView(name=_l("Configuration"), endpoint="configuration"))
        admin.add_view(AuditView(AuditEntry, db.session, name=_l("Audit log")))
        admin.add_view(PrivacyView(name=_l("Privacy and security"), endpoint="privacy"))
        plugins.register_admin_views(admin, db.session)
    # Admin forms carry Flask-Admin's own SecureForm token; Flask-WTF's global check would reject it.
    for view in admin._views:
        csrf.exempt(view.blueprint)
    return admin
