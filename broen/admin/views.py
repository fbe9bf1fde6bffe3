"""Flask-Admin views for municipality admins, every one scoped to the municipalities they administer.

The gate is per request (`is_accessible`), and every way a view reads rows — the list, the count and
a single row by id — is filtered, so an id from another municipality answers 404 instead of data.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm as _FlaskAdminSecureForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, IntegerField, PasswordField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from broen.core import accounts, audit, extra_fields, privacy, two_factor
from broen.core.exports import csv_cell
from broen.core.models import AuditEntry, Membership, Municipality, PluginState, Role, User
from broen.core.passwords import hash_password
from broen.core.plugins import PluginRegistry, registry

log = logging.getLogger(__name__)


class SecureForm(_FlaskAdminSecureForm):  # type: ignore[misc]
    """Flask-Admin's SecureForm, rendering its own hidden fields through `hidden_tag`.

    Without `hidden_tag`, Flask-Admin's form template also renders Flask-WTF's global `csrf_token()`
    under the same name, before this form's token; a browser posts both, WTForms reads the first, and
    every admin form fails its CSRF check.
    """

    def hidden_tag(self, *fields: Any) -> Markup:
        chosen = [getattr(self, f) if isinstance(f, str) else f for f in fields] or list(self)
        return Markup("\n").join(f() for f in chosen if isinstance(f.widget, HiddenInput))


ROLE_LABELS = {
    Role.ADMIN: _l("Municipality admin"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.MENTOR: _l("Volunteer mentor"),
    Role.PARTICIPANT: _l("Participant"),
}
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


def admin_municipality_ids() -> list[int]:
    """The municipalities the current user administers (installation admins: all).

    Read from the database, not from `current_user.memberships`: while a form is being saved those
    objects may already carry the change being checked (an admin editing their own role).
    """
    if not current_user.is_authenticated or not current_user.is_active:
        return []
    session = _session()
    with session.no_autoflush:
        if current_user.is_installation_admin:
            return list(session.scalars(select(Municipality.id)))
        return list(
            session.scalars(
                select(Membership.municipality_id).where(
                    Membership.user_id == current_user.id, Membership.role == Role.ADMIN
                )
            )
        )


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


class BroenModelView(ModelView):  # type: ignore[misc]
    """What every broen model view shares: SecureForm's CSRF token, refusals that are flashed as plain
    messages, filter URLs that do not change with the language, and no SQL in error messages."""

    form_base_class = SecureForm

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            _session().rollback()  # before anything reads from the session again (the locale does)
            # Flask-Admin would flash the SQL statement with its parameters (a password hash among them).
            log.warning(
                "%s: a change broke a database constraint (%s)", self.endpoint, type(exc.orig).__name__
            )
            flash(_("That conflicts with a record that exists already."), "error")
            return True
        return bool(super().handle_view_exception(exc))

    @action("delete", _l("Delete"), _l("Are you sure you want to delete the selected records?"))
    def action_delete(self, ids: Any) -> None:
        # Row ids arrive as text; PostgreSQL will not compare an integer key with text (a 500 before).
        super().action_delete([int(i) for i in ids if str(i).isdigit()])

    def get_filter_arg(self, index: int, flt: Any) -> str:
        # `?flt0_object_id_equals=7` rather than `?flt0_14=7`, and the same in Danish and English, so
        # other pages can link to a filtered list (the citizen page links to its audit trail).
        column = getattr(flt, "column", None)
        key = getattr(column, "key", None) or getattr(column, "name", None) or str(index)
        operation = flt.operation()
        operation = getattr(operation, "_args", [operation])[0]  # the untranslated text of a lazy string
        return re.sub(r"[^a-z0-9]+", "_", f"{key} {operation}".lower()).strip("_")


class _ExtrasNotOnModel:
    """A form whose extra fields (`extra_fields.extra_form`) are saved by their plugins, never copied
    onto the model as attributes."""

    _fields: dict[str, Any]

    def populate_obj(self, obj: Any) -> None:
        extras = set(getattr(self, "extra_names", ()))
        for name, field in self._fields.items():
            if name not in extras:
                field.populate_obj(obj, name)


class ScopedModelView(BroenModelView):
    """A ModelView over a tenant table (one with `municipality_id`), for municipality admins.

    Set `plugin = "<name>"` on a plugin's view: it is then shown only where that plugin is turned on.
    Set `extra_fields_target = "<target>"` (a `broen_field_targets` key) and the create and edit forms
    carry the municipality's own fields of that kind of record, built per request, saved with the row.
    """

    plugin: str | None = None
    extra_fields_target: str | None = None
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
        # The form sets the `municipality` relationship; `municipality_id` follows it only on a flush.
        allowed = self.municipality_ids()  # before the flush writes the change being checked
        _session().flush()
        if model.municipality_id not in allowed:
            raise ValidationError(_("You do not administer that municipality."))
        self._save_extras(form, model)

    # --- the municipality's own fields (`extra_fields_target`) ---------------------------------------------
    # Flask-Admin builds its form classes once, at registration; these fields differ per municipality and
    # change while the app runs, so the forms that carry them are built on every request.

    def create_form(self, obj: Any = None) -> Any:
        if self.extra_fields_target is None:
            return super().create_form(obj)
        return self._form_with_extras(self._create_form_class, None, obj)

    def edit_form(self, obj: Any = None) -> Any:
        if self.extra_fields_target is None:
            return super().edit_form(obj)
        return self._form_with_extras(self._edit_form_class, obj, obj)

    def _extras_municipality(self, record: Any) -> Municipality | None:
        """Whose fields the form carries: the municipality chosen in the sent form, else the row's, else
        the one in `?municipality=<id>`, else the first the admin may use (None: none)."""
        ids = self.municipality_ids()
        candidates = [
            request.form.get("municipality", "") if request.method == "POST" else "",
            str(record.municipality_id) if record is not None else "",
            request.args.get("municipality", ""),
        ]
        chosen = next((int(c) for c in candidates if c.isdigit() and int(c) in ids), None)
        if chosen is None and ids:
            chosen = min(ids)
        return _session().get(Municipality, chosen) if chosen is not None else None

    def _form_with_extras(self, form_class: type, record: Any, obj: Any) -> Any:
        municipality = self._extras_municipality(record)
        if municipality is None:
            return form_class(get_form_data(), obj=obj)
        form = extra_fields.extra_form(
            type(form_class.__name__, (_ExtrasNotOnModel, form_class), {}),
            str(self.extra_fields_target),
            record.id if record is not None else None,
            municipality=municipality,
            formdata=get_form_data(),
            obj=obj,
        )
        form.extras_municipality = municipality
        if record is None and request.method != "POST" and "municipality" in form:
            form.municipality.data = municipality  # the fields shown are this municipality's
        return form

    def _save_extras(self, form: Any, model: Any) -> None:
        """Save the own fields' values with the row, in its transaction; a refused value is shown on its
        field and, raised as a ValidationError, makes Flask-Admin roll everything back."""
        municipality: Municipality | None = getattr(form, "extras_municipality", None)
        if self.extra_fields_target is None or municipality is None or not getattr(form, "extra_names", []):
            return
        if model.municipality_id != municipality.id:
            raise ValidationError(_("You do not administer that municipality."))
        try:
            extra_fields.save_extras(
                current_app.extensions["broen.db"],
                form,
                self.extra_fields_target,
                model.id,
                municipality=municipality,
            )
        except extra_fields.ExtraFieldError as err:
            if err.field in form:
                form[err.field].errors = [*form[err.field].errors, err.message]
            raise ValidationError(err.message) from None

    def _municipality_query(self) -> Any:
        return lambda: _session().query(Municipality).filter(Municipality.id.in_(self.municipality_ids()))

    @property
    def form_args(self) -> dict[str, Any]:
        return {"municipality": {"query_factory": self._municipality_query()}}


class MunicipalityView(BroenModelView):
    """Installation admins create municipalities; nobody deletes one here (it holds citizen records)."""

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

    def on_model_change(self, form: Any, model: Municipality, is_created: bool) -> None:
        # The same rules as `broen municipality create`: a slug must not shadow broen's own URLs.
        model.slug = (model.slug or "").strip().lower()
        if not accounts.SLUG.match(model.slug) or model.slug in accounts.RESERVED_SLUGS:
            raise ValidationError(
                _("Short name: use 2-40 lower-case letters, digits or hyphens, not a reserved word.")
            )
        try:
            ZoneInfo(model.timezone or "")
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" (a folder), a too long name
            raise ValidationError(_("Time zone: use a name such as Europe/Copenhagen.")) from None
        fields = _changed_fields(model)  # before the flush, which forgets what changed
        _session().flush()
        audit.record(
            current_app.extensions["broen.db"],
            audit.CREATE if is_created else audit.UPDATE,
            "municipality",
            model.id,
            municipality_id=model.id,
            fields=fields,
        )


class MembershipView(ScopedModelView):
    """Who works in which municipality, in which role."""

    column_list = ("user", "municipality", "role")
    form_columns = ("user", "municipality", "role")
    column_labels = {"user": _l("User"), "municipality": _l("Municipality"), "role": _l("Role")}
    column_filters = ("role",)
    column_formatters = {"role": lambda view, context, model, name: ROLE_LABELS[Role(model.role)]}
    # A plain select of Role members (Flask-Admin's enum field compares names with values).
    form_overrides = {"role": SelectField}

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
    def form_args(self) -> dict[str, Any]:
        return {
            "municipality": {"query_factory": self._municipality_query()},
            "user": {"query_factory": self._user_query()},
            "role": {"choices": ROLE_CHOICES, "coerce": Role},
        }

    def edit_form(self, obj: Any = None) -> Any:
        # A role belongs to one person in one municipality: editing it changes the role, nothing else
        # (moving it to another person or place would be a way round the checks on creating one).
        form = super().edit_form(obj)
        del form.user
        del form.municipality
        return form

    @staticmethod
    def _is_own_admin_role(model: Membership) -> bool:
        return model.user_id == current_user.id and not current_user.is_installation_admin

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if self._is_own_admin_role(model) and model.role != Role.ADMIN:
            raise ValidationError(_("You cannot take away your own admin role."))
        audit.record(
            current_app.extensions["broen.db"],
            audit.CREATE if is_created else audit.UPDATE,
            "membership",
            model.id,
            municipality_id=model.municipality_id,
            user_id=model.user_id,
            role=model.role.value,
        )

    def on_model_delete(self, model: Any) -> None:
        if self._is_own_admin_role(model) and model.role == Role.ADMIN:
            raise ValidationError(_("You cannot take away your own admin role."))
        audit.record(
            current_app.extensions["broen.db"],
            audit.DELETE,
            "membership",
            model.id,
            municipality_id=model.municipality_id,
            user_id=model.user_id,
            role=model.role.value,
        )


class _FormOnly:
    """A form field whose value the view handles itself: never copied onto the model as it is."""

    def populate_obj(self, obj: Any, name: str) -> None:
        return None


class NewPasswordField(_FormOnly, PasswordField):  # type: ignore[misc]
    """Hashed in `on_model_change`; the plain text never lands on the model object."""


class FormOnlySelectField(_FormOnly, SelectField):  # type: ignore[misc]
    pass


def _changed_fields(model: Any) -> list[str]:
    """Names (never values) of the columns changed on `model` in this transaction."""
    state = inspect(model)
    names = {attr.key for attr in state.attrs if attr.history.has_changes()}
    names = {"password" if n == "password_hash" else n for n in names}
    return sorted(n for n in names if n not in ("memberships", "municipality", "user"))


def _local_time(view: Any, context: Any, model: Any, name: str) -> str:
    """A stored UTC time in the row's municipality's time zone (else the default), e.g.
    2026-03-01 14:05:09 CET: admins read the audit log in the time they live in."""
    value = getattr(model, name)
    if value is None:
        return ""
    municipality = getattr(model, "municipality", None)
    zone = municipality.timezone if municipality else current_app.config["BROEN"].broen.default_timezone
    return str(value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z"))


class UserView(BroenModelView):
    """Staff accounts. A municipality admin sees users of their municipalities and may change an
    account only if every municipality it works in is theirs (no reaching into a neighbour's staff)."""

    can_delete = False  # deactivate instead: the audit log still names the person
    column_list = ("name", "email", "active", "language", "last_login_at", "totp_enabled_at")
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
        "totp_enabled_at": _l("Two-factor login since"),
    }
    # A plain select: Flask-Admin's `form_choices` field cannot render WTForms 3.3's SelectChoice.
    form_overrides = {"language": SelectField}
    form_args = {"language": {"choices": [SelectChoice("da", "Dansk"), SelectChoice("en", "English")]}}
    column_formatters = {"last_login_at": _local_time, "totp_enabled_at": _local_time}
    form_extra_fields = {
        "new_password": NewPasswordField(
            _l("New password"),
            validators=[Optional(), Length(min=10, message=_l("At least 10 characters."))],
        ),
        # Choices are the municipalities the admin administers, set per request in `create_form`.
        "first_municipality": FormOnlySelectField(_l("Municipality"), coerce=int),
        "first_role": FormOnlySelectField(_l("Role"), choices=ROLE_CHOICES),
    }

    def is_accessible(self) -> bool:
        return _gate()

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

    def _each_changeable(self, ids: Any, what: str, change: Any) -> int:
        """Apply `change` to each chosen account the admin may change, audited; returns how many."""
        db = current_app.extensions["broen.db"]
        mine = admin_municipality_ids()
        done = 0
        for user in self.get_query().filter(User.id.in_([int(i) for i in ids if str(i).isdigit()])):
            if not self._may_change(user):
                continue
            change(user)
            where = [m.municipality_id for m in user.memberships if m.municipality_id in mine]
            audit.record(
                db, audit.UPDATE, "user", user.id, municipality_id=where[0] if where else None, fields=[what]
            )
            done += 1
        db.session.commit()
        return done

    @action(
        "end_sessions",
        _l("End sessions"),
        _l("End every open session of the selected accounts? They must log in again on every device."),
    )
    def action_end_sessions(self, ids: Any) -> None:
        def end(user: User) -> None:
            user.session_version += 1

        done = self._each_changeable(ids, "sessions", end)
        flash(
            ngettext(
                "%(num)d account is logged out everywhere.",
                "%(num)d accounts are logged out everywhere.",
                done,
            ),
            "success",
        )

    @action(
        "reset_two_factor",
        _l("Reset two-factor login"),
        _l(
            "Reset the two-factor login of the selected accounts (e.g. a lost phone)? Their app codes and "
            "recovery codes stop working, they are logged out, and they set it up again at the next login."
        ),
    )
    def action_reset_two_factor(self, ids: Any) -> None:
        db = current_app.extensions["broen.db"]
        done = self._each_changeable(ids, "two_factor", lambda user: two_factor.disable(db, user))
        flash(
            ngettext(
                "Two-factor login is reset for %(num)d account.",
                "Two-factor login is reset for %(num)d accounts.",
                done,
            ),
            "success",
        )

    def _choices(self, form: Any) -> Any:
        db = current_app.extensions["broen.db"]
        ids = admin_municipality_ids()
        form.first_municipality.choices = [
            SelectChoice(str(m.id), m.name)
            for m in db.session.scalars(
                select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)
            )
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
        session = _session()
        if model.id == current_user.id and not model.active:
            # First: until this is refused, the admin's own account reads as inactive (logged out).
            raise ValidationError(_("You cannot deactivate your own account."))
        if not is_created and not self._may_change(model):
            raise ValidationError(_("This account also works in a municipality you do not administer."))
        model.email = (model.email or "").strip().lower()
        with session.no_autoflush:
            taken = session.scalar(select(User.id).where(User.email == model.email, User.id != model.id))
        if taken is not None:
            raise ValidationError(_("A user with that e-mail exists already."))
        if form.new_password.data:
            model.password_hash = hash_password(form.new_password.data)
        elif is_created:
            raise ValidationError(_("A new account needs a password."))
        mine = admin_municipality_ids()
        if is_created:
            if form.first_municipality.data not in mine:
                raise ValidationError(_("You do not administer that municipality."))
            model.memberships.append(
                Membership(municipality_id=form.first_municipality.data, role=Role(form.first_role.data))
            )
        fields = _changed_fields(model)
        session.flush()
        where = [m.municipality_id for m in model.memberships if m.municipality_id in mine]
        audit.record(
            current_app.extensions["broen.db"],
            audit.CREATE if is_created else audit.UPDATE,
            "user",
            model.id,
            municipality_id=where[0] if where else None,
            fields=fields,
        )


def _action_label(view: Any, context: Any, model: AuditEntry, name: str) -> str:
    return str(audit.ACTION_LABELS.get(model.action, model.action))


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
    column_formatters = {"at": _local_time, "action": _action_label}
    column_formatters_detail = {"at": _local_time, "action": _action_label}
    page_size = 50

    @expose("/export.csv")
    def export_csv(self) -> Any:
        """The log of a period (`start` and `end`, days, both included) as CSV, for the admin's
        municipalities; refused with a message naming the field when a day is missing or wrong."""
        days = {}
        for name, label in (("start", _("From")), ("end", _("To"))):
            try:
                days[name] = date.fromisoformat(request.args.get(name, ""))
            except ValueError:
                flash(_("%(field)s: write the day as year-month-day, e.g. 2026-01-31.", field=label), "error")
                return redirect(
                    url_for(
                        "privacy.index", start=request.args.get("start", ""), end=request.args.get("end", "")
                    )
                )
        if days["end"] < days["start"]:
            flash(_("%(field)s: the last day cannot be before the first.", field=_("To")), "error")
            return redirect(
                url_for("privacy.index", start=request.args.get("start", ""), end=request.args.get("end", ""))
            )
        db = current_app.extensions["broen.db"]
        start = datetime.combine(days["start"], time(0), tzinfo=UTC) - timedelta(days=1)
        end = datetime.combine(days["end"], time(0), tzinfo=UTC) + timedelta(days=2)
        rows = db.session.scalars(
            select(AuditEntry)
            .where(self.scope_filter(), AuditEntry.at >= start, AuditEntry.at < end)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            [_("When"), _("Who"), _("Action"), _("Record"), _("Record id"), _("From address"), _("Details")]
        )
        count = 0
        for entry in rows:
            local = _local_time(self, None, entry, "at")
            if not days["start"].isoformat() <= local[:10] <= days["end"].isoformat():
                continue  # the period is in the municipality's own days
            count += 1
            writer.writerow(
                csv_cell(v)
                for v in (
                    local,
                    entry.user_name,
                    audit.ACTION_LABELS.get(entry.action, entry.action),
                    entry.object_type,
                    entry.object_id if entry.object_id is not None else "",
                    entry.remote_addr or "",
                    json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
                )
            )
        for municipality_id in self.municipality_ids():  # each municipality's log says its log was read
            audit.record(
                db,
                audit.EXPORT,
                "audit_entry",
                None,
                municipality_id=municipality_id,
                start=days["start"].isoformat(),
                end=days["end"].isoformat(),
                rows=count,
            )
        db.session.commit()
        filename = f"audit-{days['start'].isoformat()}-{days['end'].isoformat()}.csv"
        return Response(
            "\ufeff" + out.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    def scope_filter(self) -> Any:
        # Entries about no municipality (an installation admin's own work) are for installation admins.
        if current_user.is_installation_admin:
            return or_(
                AuditEntry.municipality_id.in_(self.municipality_ids()), AuditEntry.municipality_id.is_(None)
            )
        return super().scope_filter()


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
        state: PluginState | None = db.session.scalar(
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

    # The URL says <plugin>, not <name>: Flask-Admin's _handle_view takes `name` itself (TypeError).
    @expose("/<int:municipality_id>/<plugin>/toggle", methods=["POST"])
    def toggle(self, municipality_id: int, plugin: str) -> Any:
        municipality = self._municipality(municipality_id)
        if plugin not in registry().info:
            abort(404)
        if not SecureForm(request.form).validate() or request.form.get("enabled") not in ("0", "1"):
            abort(400)
        enabled = request.form["enabled"] == "1"
        db = current_app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, municipality, plugin, enabled, by=current_user._get_current_object())
        title = registry().info[plugin].title(current_user.language)
        if enabled:
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

    @expose("/<int:municipality_id>/<plugin>/settings", methods=["GET", "POST"])
    def settings(self, municipality_id: int, plugin: str) -> Any:
        name = plugin
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
            state.settings = plugins.encode_settings(
                name, {key: form[key].data for key in info.defaults if key in form}
            )
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


class RetentionForm(SecureForm):
    retention_years = IntegerField(
        _l("Years to keep an ended citizen's record"),
        description=_l(
            "After this many years from the end of the course, the record is erased: only anonymous numbers "
            "stay for the reports."
        ),
        validators=[
            InputRequired(_l("Write a number of years.")),
            NumberRange(
                min=privacy.RETENTION_YEARS.start,
                max=privacy.RETENTION_YEARS.stop - 1,
                message=_l("Write a number of years from 1 to 30."),
            ),
        ],
    )


class TwoFactorForm(SecureForm):
    require_two_factor = BooleanField(
        _l("Staff must use two-factor login"),
        description=_l(
            "Admins, coordinators and mentors then log in with their password and a code from an app on "
            "their phone. Those who have not set it up are asked to at their next page."
        ),
    )


class PrivacyView(BaseView):  # type: ignore[misc]
    """For each of the admin's municipalities: how long ended citizens' records are kept (and how many are
    due), and whether its staff must use two-factor login (and how many have not set it up)."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and admin_municipality_ids())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def _save(self, municipality: Municipality, form: Any, field: str, message: str) -> Any:
        db = current_app.extensions["broen.db"]
        setattr(municipality, field, getattr(form, field).data)
        audit.record(
            db, audit.UPDATE, "municipality", municipality.id, municipality_id=municipality.id, fields=[field]
        )
        db.session.commit()
        flash(message, "success")
        return redirect(url_for(".index"))

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        db = current_app.extensions["broen.db"]
        municipalities = list(
            db.session.scalars(
                select(Municipality)
                .where(Municipality.id.in_(admin_municipality_ids()))
                .order_by(Municipality.name)
            )
        )
        posted = request.form.get("municipality_id", type=int) if request.method == "POST" else None
        which = request.form.get("form")
        today = date.today()
        rows = []
        for municipality in municipalities:
            chosen = posted == municipality.id
            retention = RetentionForm(
                request.form if chosen and which == "retention" else None,
                retention_years=municipality.retention_years,
            )
            if chosen and which == "retention" and retention.validate():
                message = _("The retention period of %(name)s is saved.", name=municipality.name)
                return self._save(municipality, retention, "retention_years", message)
            required = TwoFactorForm(
                request.form if chosen and which == "two_factor" else None,
                require_two_factor=municipality.require_two_factor,
            )
            if chosen and which == "two_factor" and required.validate():
                message = _("The two-factor login setting of %(name)s is saved.", name=municipality.name)
                return self._save(municipality, required, "require_two_factor", message)
            due = len(privacy.due_for_erasure(db, municipality, today))
            without = db.session.scalar(
                select(func.count(User.id.distinct()))
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.municipality_id == municipality.id,
                    Membership.role.in_(two_factor.STAFF),
                    User.active.is_(True),
                    User.totp_enabled_at.is_(None),
                )
            )
            rows.append(
                (
                    municipality,
                    retention,
                    due,
                    privacy.retention_cutoff(municipality, today),
                    required,
                    without,
                )
            )
        status = 400 if posted is not None else 200
        return self.render("admin/broen_privacy.html", rows=rows), status
