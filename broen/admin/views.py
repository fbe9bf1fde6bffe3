"""Flask-Admin views for municipality admins, every one scoped to the municipalities they administer.

The gate is per request (`is_accessible`), and every way a view reads rows — the list, the count and
a single row by id — is filtered, so an id from another municipality answers 404 instead of data.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField, SelectChoice, SelectField
from wtforms.validators import Length, Optional

from broen.core import audit
from broen.core.auth import hash_password
from broen.core.models import Membership, Municipality, PluginState, Role, User
from broen.core.plugins import PluginRegistry, registry
from broen.core.tenancy import memberships_with


def admin_municipality_ids() -> list[int]:
    """The municipalities the current user administers (installation admins: all)."""
    if not current_user.is_authenticated or not current_user.is_active:
        return []
    if current_user.is_installation_admin:
        db = current_app.extensions["broen.db"]
        return list(db.session.scalars(select(Municipality.id)))
    return memberships_with(current_user, Role.ADMIN)


def _session() -> Any:
    return current_app.extensions["broen.db"].session


def _gate() -> bool:
    return bool(
        current_user.is_authenticated and (current_user.is_installation_admin or admin_municipality_ids())
    )


def _deny() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


class IndexView(AdminIndexView):  # type: ignore[misc]
    def is_accessible(self) -> bool:
        return _gate()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()


class ScopedModelView(ModelView):  # type: ignore[misc]
    """A ModelView over a tenant table (one with `municipality_id`), for municipality admins.

    Set `plugin = "<name>"` on a plugin's view: it is then shown only where that plugin is turned on.
    """

    form_base_class = SecureForm
    plugin: str | None = None
    can_view_details = True
    page_size = 25

    def municipality_ids(self) -> list[int]:
        ids = admin_municipality_ids()
        if self.plugin is not None:
            plugins: PluginRegistry = registry()
            db = current_app.extensions["broen.db"]
            ids = [
                m.id
                for m in db.session.scalars(select(Municipality).where(Municipality.id.in_(ids)))
                if plugins.is_enabled(self.plugin, m)
            ]
        return ids

    def is_accessible(self) -> bool:
        return _gate() and bool(self.municipality_ids())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def scope_filter(self) -> Any:
        return self.model.municipality_id.in_(self.municipality_ids())

    def get_query(self) -> Any:
        return super().get_query().filter(self.scope_filter())

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(self.scope_filter())

    def get_one(self, id: Any) -> Any:
        return self.get_query().filter(self.model.id == int(id)).one_or_none() if str(id).isdigit() else None

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # A municipality chosen in the form must be one the admin administers (forged POSTs included).
        if model.municipality_id not in self.municipality_ids():
            raise ValueError(_("You do not administer that municipality."))

    def _municipality_query(self) -> Any:
        return lambda: _session().query(Municipality).filter(Municipality.id.in_(self.municipality_ids()))

    @property
    def form_args(self) -> dict[str, Any]:  # type: ignore[override]
        return {"municipality": {"query_factory": self._municipality_query()}}


class MunicipalityView(ModelView):  # type: ignore[misc]
    """Installation admins create municipalities; nobody deletes one here (it holds citizen records)."""

    form_base_class = SecureForm
    can_delete = False
    column_list = ("slug", "name", "timezone", "created_at")
    form_columns = ("slug", "name", "timezone")
    column_labels = {
        "slug": _l("Short name (in URLs)"),
        "name": _l("Name"),
        "timezone": _l("Time zone"),
    }

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_installation_admin)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()


class MembershipView(ScopedModelView):
    """Who works in which municipality, in which role."""

    column_list = ("user", "municipality", "role")
    form_columns = ("user", "municipality", "role")
    column_labels = {"user": _l("User"), "municipality": _l("Municipality"), "role": _l("Role")}
    column_filters = ("role",)

    def _user_query(self) -> Any:
        # Admins choose among users already in their municipalities (new people: create a user).
        return lambda: (
            _session()
            .query(User)
            .filter(
                User.id.in_(
                    select(Membership.user_id).where(Membership.municipality_id.in_(self.municipality_ids()))
                )
            )
        )

    @property
    def form_args(self) -> dict[str, Any]:  # type: ignore[override]
        return {
            "municipality": {"query_factory": self._municipality_query()},
            "user": {"query_factory": self._user_query()},
        }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if (
            model.user_id == current_user.id
            and model.role != Role.ADMIN
            and not current_user.is_installation_admin
        ):
            raise ValueError(_("You cannot take away your own admin role."))


class UserView(ModelView):  # type: ignore[misc]
    """Staff accounts. A municipality admin sees users of their municipalities and may change an
    account only if every municipality it works in is theirs (no reaching into a neighbour's staff)."""

    form_base_class = SecureForm
    can_delete = False  # deactivate instead: the audit log still names the person
    column_list = ("name", "email", "active", "language", "last_login_at")
    column_searchable_list = ("name", "email")
    form_columns = (
        "name",
        "email",
        "language",
        "active",
        "new_password",
        "first_municipality",
        "first_role",
    )
    form_excluded_columns = ("password_hash",)
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "active": _l("Active"),
        "language": _l("Language"),
        "last_login_at": _l("Last login"),
    }
    form_choices = {"language": [SelectChoice("da", "Dansk"), SelectChoice("en", "English")]}
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"),
            validators=[Optional(), Length(min=10, message=_l("At least 10 characters."))],
        ),
        "first_municipality": SelectField(_l("Municipality"), coerce=int, validate_choice=False),
        "first_role": SelectField(_l("Role"), choices=[SelectChoice(r.value, r.value) for r in Role]),
    }

    def is_accessible(self) -> bool:
        return _gate()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def _scope(self) -> Any:
        if current_user.is_installation_admin:
            return User.id.isnot(None)
        ids = admin_municipality_ids()
        return User.id.in_(select(Membership.user_id).where(Membership.municipality_id.in_(ids)))

    def get_query(self) -> Any:
        return super().get_query().filter(self._scope())

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(self._scope())

    def get_one(self, id: Any) -> Any:
        return self.get_query().filter(User.id == int(id)).one_or_none() if str(id).isdigit() else None

    def _may_change(self, user: User) -> bool:
        if current_user.is_installation_admin:
            return True
        if user.is_installation_admin:
            return False
        mine = set(admin_municipality_ids())
        return all(m.municipality_id in mine for m in user.memberships)

    def _choices(self, form: Any) -> Any:
        db = current_app.extensions["broen.db"]
        ids = admin_municipality_ids()
        form.first_municipality.choices = [
            SelectChoice(str(m.id), m.name) for m in db.session.scalars(select(Municipality).where(Municipality.id.in_(ids)))
        ]
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        del form.first_municipality
        del form.first_role
        return form

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        model.email = (model.email or "").strip().lower()
        if not is_created and not self._may_change(model):
            raise ValueError(_("This account also works in a municipality you do not administer."))
        if form.new_password.data:
            model.password_hash = hash_password(form.new_password.data)
        elif is_created:
            raise ValueError(_("A new account needs a password."))
        if is_created:
            if form.first_municipality.data not in admin_municipality_ids():
                raise ValueError(_("You do not administer that municipality."))
            model.memberships.append(
                Membership(municipality_id=form.first_municipality.data, role=Role(form.first_role.data))
            )


class AuditView(ScopedModelView):
    """The audit log, read-only: who viewed or changed which record, when and from where."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_default_sort = ("at", True)
    column_list = (
        "at",
        "user_name",
        "action",
        "object_type",
        "object_id",
        "remote_addr",
        "details",
    )
    column_filters = ("action", "object_type", "object_id", "user_name")
    column_labels = {
        "at": _l("When"),
        "user_name": _l("Who"),
        "action": _l("Action"),
        "object_type": _l("Record"),
        "object_id": _l("Record id"),
        "remote_addr": _l("From address"),
        "details": _l("Details"),
    }
    page_size = 50


class PluginsView(BaseView):  # type: ignore[misc]
    """Turn plugins on and off per municipality and edit their settings."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and admin_municipality_ids())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def _municipality(self, municipality_id: int) -> Municipality:
        if municipality_id not in admin_municipality_ids():
            abort(404)
        db = current_app.extensions["broen.db"]
        municipality: Municipality = db.session.get_one(Municipality, municipality_id)
        return municipality

    def _state(self, municipality: Municipality, name: str) -> PluginState:
        db = current_app.extensions["broen.db"]
        state = db.session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == municipality.id, PluginState.plugin == name
            )
        )
        if state is None:
            state = PluginState(municipality_id=municipality.id, plugin=name, enabled=False, settings={})
            db.session.add(state)
        return state

    @expose("/")
    def index(self) -> Any:
        db = current_app.extensions["broen.db"]
        plugins = registry()
        municipalities = list(
            db.session.scalars(
                select(Municipality)
                .where(Municipality.id.in_(admin_municipality_ids()))
                .order_by(Municipality.name)
            )
        )
        rows = [
            (
                m,
                [(info, plugins.is_enabled(name, m)) for name, info in sorted(plugins.info.items())],
            )
            for m in municipalities
        ]
        return self.render("admin/broen_plugins.html", rows=rows, form=SecureForm())

    @expose("/<int:municipality_id>/<name>/toggle", methods=["POST"])
    def toggle(self, municipality_id: int, name: str) -> Any:
        municipality = self._municipality(municipality_id)
        if name not in registry().info or not SecureForm(request.form).validate():
            abort(400)
        db = current_app.extensions["broen.db"]
        state = self._state(municipality, name)
        state.enabled = request.form.get("enabled") == "1"
        audit.record(
            db,
            audit.UPDATE,
            "plugin_state",
            None,
            municipality_id=municipality.id,
            plugin=name,
            enabled=state.enabled,
        )
        db.session.commit()
        title = registry().info[name].title(current_user.language)
        if state.enabled:
            flash(
                _(
                    "%(plugin)s is now on in %(municipality)s.",
                    plugin=title,
                    municipality=municipality.name,
                ),
                "success",
            )
        else:
            flash(
                _(
                    "%(plugin)s is now off in %(municipality)s.",
                    plugin=title,
                    municipality=municipality.name,
                ),
                "success",
            )
        return redirect(url_for(".index"))

    @expose("/<int:municipality_id>/<name>/settings", methods=["GET", "POST"])
    def settings(self, municipality_id: int, name: str) -> Any:
        municipality = self._municipality(municipality_id)
        plugins = registry()
        info = plugins.info.get(name)
        if info is None or info.settings_form is None:
            abort(404)
        values = plugins.settings(name, municipality)
        form_class = type("PluginSettingsForm", (SecureForm, info.settings_form), {})
        form = form_class(request.form if request.method == "POST" else None, data=values)
        if request.method == "POST" and form.validate():
            db = current_app.extensions["broen.db"]
            state = self._state(municipality, name)
            state.settings = {key: form[key].data for key in info.defaults if key in form}
            audit.record(
                db,
                audit.UPDATE,
                "plugin_state",
                None,
                municipality_id=municipality.id,
                plugin=name,
                fields=sorted(state.settings),
            )
            db.session.commit()
            flash(_("The settings are saved."), "success")
            return redirect(url_for(".index"))
        return self.render(
            "admin/broen_plugin_settings.html", form=form, info=info, municipality=municipality
        )
