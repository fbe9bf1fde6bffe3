"""The admin's "Configuration" page: download a municipality's configuration as a TOML file, and import one
(upload, preview of what will change, apply).

The preview carries the uploaded text to the "Apply" button signed (with the municipality's id and a time
limit), so what is applied is what was previewed; it is checked again when applied, and nothing is written
unless all of it can be. The work is `broen.core.configuration`'s; these views stay thin.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FileField, HiddenField

from broen.admin.views import SecureForm, _deny, admin_municipality_ids
from broen.core import configuration
from broen.core.models import Municipality

#: How long a preview may be applied (seconds): after that, upload the file again.
PREVIEW_MAX_AGE = 3600
#: The largest upload read at all (the import itself refuses anything over `configuration.MAX_BYTES`).
MAX_UPLOAD = 20 * configuration.MAX_BYTES
_SALT = "broen.admin.configuration"


class ImportForm(SecureForm):
    file = FileField(_l("Configuration file (.toml)"))


class ApplyForm(SecureForm):
    preview = HiddenField()


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


class ConfigurationView(BaseView):  # type: ignore[misc]
    """Download and import a municipality's configuration (plugins, settings, fields)."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and admin_municipality_ids())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _deny()

    def _db(self) -> Any:
        return current_app.extensions["broen.db"]

    def _municipality(self, municipality_id: int) -> Municipality:
        if municipality_id not in admin_municipality_ids():
            abort(404)
        municipality: Municipality = self._db().session.get_one(Municipality, municipality_id)
        return municipality

    @expose("/")
    def index(self) -> Any:
        municipalities = list(
            self._db().session.scalars(
                select(Municipality)
                .where(Municipality.id.in_(admin_municipality_ids()))
                .order_by(Municipality.name)
            )
        )
        return self.render("admin/broen_configuration.html", municipalities=municipalities, form=ImportForm())

    @expose("/<int:municipality_id>/export")
    def export(self, municipality_id: int) -> Any:
        municipality = self._municipality(municipality_id)
        db = self._db()
        try:
            text = configuration.export_configuration(db, municipality)
        except configuration.ConfigurationError as exc:
            for problem in exc.problems:
                flash(problem, "error")
            return redirect(url_for(".index"))
        configuration.record_export(db, municipality, current_user._get_current_object())
        return Response(
            text,
            mimetype="application/toml",
            headers={"Content-Disposition": f'attachment; filename="{municipality.slug}.toml"'},
        )

    @expose("/<int:municipality_id>/import", methods=["POST"])
    def upload(self, municipality_id: int) -> Any:
        municipality = self._municipality(municipality_id)
        request.max_content_length = MAX_UPLOAD
        try:
            form = ImportForm(CombinedMultiDict((request.files, request.form)))
        except RequestEntityTooLarge:
            return self._preview(municipality, None, [_("The file is too large to be a configuration file.")])
        if not form.validate():
            abort(400)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._preview(municipality, None, [_("Choose a configuration file to import.")])
        data = upload.stream.read(configuration.MAX_BYTES + 1)
        plan = configuration.plan_import(self._db(), municipality, data, current_user._get_current_object())
        if plan.problems:
            return self._preview(municipality, plan, plan.problems)
        token = _signer().dumps([municipality.id, data.decode("utf-8")])
        return self._preview(municipality, plan, [], ApplyForm(preview=token))

    @expose("/<int:municipality_id>/apply", methods=["POST"])
    def apply(self, municipality_id: int) -> Any:
        municipality = self._municipality(municipality_id)
        # The signed preview is the file itself, compressed: larger than an ordinary form field.
        request.max_form_memory_size = 4 * configuration.MAX_BYTES
        form = ApplyForm(request.form)
        if not form.validate():
            abort(400)
        try:
            signed_id, text = _signer().loads(form.preview.data or "", max_age=PREVIEW_MAX_AGE)
        except BadSignature:
            return self._preview(
                municipality, None, [_("The preview has expired or is not valid. Upload the file again.")]
            )
        if signed_id != municipality.id:
            abort(400)
        user = current_user._get_current_object()
        try:
            configuration.apply_import(self._db(), municipality, text, user)
        except configuration.ConfigurationError as exc:
            return self._preview(municipality, None, exc.problems)
        flash(
            _("The configuration is imported into %(municipality)s.", municipality=municipality.name),
            "success",
        )
        return redirect(url_for(".index"))

    def _preview(
        self,
        municipality: Municipality,
        plan: configuration.Plan | None,
        problems: list[str],
        form: ApplyForm | None = None,
    ) -> Any:
        page = self.render(
            "admin/broen_configuration_preview.html",
            municipality=municipality,
            plan=plan,
            problems=problems,
            form=form,
        )
        return (page, 400) if problems else page
