"""The admin's "Fields" pages (/<municipality>/municipal_fields/): the targets with their fields, a field's
form (new, edit, with a change of type and the report of the values that would not convert), reordering,
archiving, restoring, and deleting an archived field's values for good.

Every page is for the municipality's admins only, reads rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404) and writes only through `services`.
A field definition holds no personal data, so reading one is not audited; every write is (in `services`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from broen import api
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.forms import (
    DEFAULT_ROLES,
    ROLE_LABELS,
    TYPE_LABELS,
    ConfirmForm,
    EditFieldForm,
    FieldForm,
    PurgeForm,
)
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType
from broen.plugins.municipal_fields.services import (
    ConversionRefused,
    FieldEdit,
    FieldError,
    Misfits,
    PurgeChanged,
    TypeReport,
    _,
)

bp = Blueprint("municipal_fields", __name__, template_folder="templates")


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The "Fields" menu entry, for the municipality's admins."""
    if user.role_in(municipality.id) == api.Role.ADMIN:
        return [api.MenuItem(_("Fields"), "municipal_fields.index", order=90)]
    return []


@dataclass(frozen=True)
class TargetGroup:
    """A kind of record on the list page, with its fields in their order and its archived ones apart.
    `target` is None for fields of a kind no longer offered (its plugin was turned off)."""

    key: str
    target: api.FieldTarget | None
    active: list[FieldDefinition]
    archived: list[FieldDefinition]


def _target(key: str) -> api.FieldTarget | None:
    return next((t for t in api.field_targets(api.current_municipality()) if t.key == key), None)


@bp.route("/")
@api.require_role(api.Role.ADMIN)
def index() -> ResponseReturnValue:
    municipality = api.current_municipality()
    fields = services.all_fields(api.db(), municipality)
    targets = api.field_targets(municipality)
    keys = [t.key for t in targets] + sorted(set(fields) - {t.key for t in targets})
    by_key: dict[str, api.FieldTarget | None] = {t.key: t for t in targets}
    groups = [
        TargetGroup(
            key,
            by_key.get(key),
            [f for f in fields.get(key, []) if f.archived_at is None],
            [f for f in fields.get(key, []) if f.archived_at is not None],
        )
        for key in keys
    ]
    return render_template(
        "municipal_fields/index.html",
        groups=groups,
        form=ConfirmForm(),
        type_labels=TYPE_LABELS,
        role_labels=ROLE_LABELS,
    )


def _form_page(
    form: FieldForm,
    target: api.FieldTarget,
    definition: FieldDefinition | None,
    status: int,
    report: TypeReport | None = None,
) -> ResponseReturnValue:
    return render_template(
        "municipal_fields/form.html",
        form=form,
        target=target,
        definition=definition,
        type_labels=TYPE_LABELS,
        choice_types=[t.value for t in CHOICE_TYPES],
        report=report,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@api.require_role(api.Role.ADMIN)
def new_field() -> ResponseReturnValue:
    target = _target(request.args.get("target", ""))
    if target is None:
        abort(404)
    form = FieldForm()
    if request.method == "GET":
        form.see_roles.data = list(DEFAULT_ROLES)
        form.edit_roles.data = list(DEFAULT_ROLES)
    if form.validate_on_submit():
        db = api.db()
        try:
            data = form.data_for(target.key, form.key.data or "", form.type.data or "")
            services.create_field(db, api.current_municipality(), api.current_user(), data)
        except FieldError as err:
            api.field_error(form, err, "key")
        else:
            flash(_("The field is added. It is in the forms from now on."), "success")
            return redirect(url_for("municipal_fields.index", _anchor=f"target-{target.key}"))
    return _form_page(form, target, None, 400 if request.method == "POST" else 200)


@bp.route("/<int:field_id>/edit", methods=["GET", "POST"])
@api.require_role(api.Role.ADMIN)
def edit_field(field_id: int) -> ResponseReturnValue:
    db = api.db()
    definition = api.get_scoped_or_404(db, FieldDefinition, field_id)
    # A field of a kind of record whose plugin was turned off since can still be edited.
    target = _target(definition.target) or api.FieldTarget(
        definition.target, definition.target, definition.target
    )
    form = EditFieldForm()
    if request.method == "GET":
        form.fill(definition)
    report = None
    if form.validate_on_submit():
        try:
            data = form.data_for(definition.target, definition.key, form.type.data or "")
            edit = services.edit_field(
                db,
                definition,
                api.current_user(),
                data,
                misfits=form.misfits.data or None,
                seen=form.misfits_seen.data or None,
            )
        except ConversionRefused as err:
            report = err.report
            form.misfits_seen.data = report.token
            api.field_error(form, err, "misfits")
        except FieldError as err:
            api.field_error(form, err, "label_da")
        else:
            flash(_saved(edit, data.type), "success")
            return redirect(url_for("municipal_fields.index", _anchor=f"target-{target.key}"))
    return _form_page(form, target, definition, 400 if request.method == "POST" else 200, report)


def _saved(edit: FieldEdit, type_: FieldType | str) -> str:
    """The message after an edit: for a new type, how many values were converted and what became of
    those that did not fit."""
    if not edit.changed:
        return _("Nothing was changed.")
    if edit.misfits is None and not edit.converted:
        return _("The changes are saved.")
    parts = [
        str(
            api.ngettext(
                "The changes are saved. %(num)d value was converted to %(type)s.",
                "The changes are saved. %(num)d values were converted to %(type)s.",
                edit.converted,
                type=TYPE_LABELS[FieldType(type_)],
            )
        )
    ]
    if edit.misfits == Misfits.KEEP and edit.copy is not None:
        parts.append(
            str(
                api.ngettext(
                    "%(num)d value that did not fit is kept in the archived field %(label)s (%(key)s).",
                    "%(num)d values that did not fit are kept in the archived field %(label)s (%(key)s).",
                    edit.failed,
                    label=edit.copy.label(api.language_of(api.current_user())),
                    key=edit.copy.key,
                )
            )
        )
    elif edit.misfits == Misfits.DELETE:
        parts.append(
            str(
                api.ngettext(
                    "%(num)d value that did not fit was deleted.",
                    "%(num)d values that did not fit were deleted.",
                    edit.failed,
                )
            )
        )
    return " ".join(parts)


@bp.route("/<int:field_id>/move/<any(up, down):direction>", methods=["POST"])
@api.require_role(api.Role.ADMIN)
def move_field(field_id: int, direction: str) -> ResponseReturnValue:
    db = api.db()
    definition = api.get_scoped_or_404(db, FieldDefinition, field_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.move_field(db, definition, api.current_user(), up=direction == "up")
    return redirect(url_for("municipal_fields.index", _anchor=f"field-{field_id}"))


@bp.route("/<int:field_id>/archive", methods=["GET", "POST"])
@api.require_role(api.Role.ADMIN)
def archive_field(field_id: int) -> ResponseReturnValue:
    db = api.db()
    definition = api.get_scoped_or_404(db, FieldDefinition, field_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.archive_field(db, definition, api.current_user())
        flash(_("The field is archived. Its values are kept."), "success")
        return redirect(url_for("municipal_fields.index", _anchor=f"target-{definition.target}"))
    status = 400 if request.method == "POST" else 200
    return render_template("municipal_fields/archive.html", form=form, definition=definition), status


@bp.route("/<int:field_id>/restore", methods=["POST"])
@api.require_role(api.Role.ADMIN)
def restore_field(field_id: int) -> ResponseReturnValue:
    db = api.db()
    definition = api.get_scoped_or_404(db, FieldDefinition, field_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if services.restore_field(db, definition, api.current_user()):
            flash(_("The field is back in the forms, with its values."), "success")
    except FieldError as err:
        flash(err.message, "error")
    return redirect(url_for("municipal_fields.index", _anchor=f"field-{field_id}"))


@bp.route("/<int:field_id>/purge", methods=["GET", "POST"])
@api.require_role(api.Role.ADMIN)
def purge_field(field_id: int) -> ResponseReturnValue:
    """Delete an archived field's values, and the field, for good: after a confirmation that says how
    many values go. An active field is refused (archive it first)."""
    db = api.db()
    definition = api.get_scoped_or_404(db, FieldDefinition, field_id)
    target = definition.target
    form = PurgeForm()
    problem = None
    count = None
    if form.validate_on_submit():
        try:
            seen = int(form.seen.data or "")
        except ValueError:
            seen = -1  # not what was shown: show the page again
        try:
            gone = services.purge_field(db, definition, api.current_user(), seen)
        except PurgeChanged as err:
            problem, count = err.message, err.count
        except FieldError as err:
            problem = err.message
        else:
            flash(
                api.ngettext(
                    "The field is deleted, with its %(num)d value.",
                    "The field is deleted, with its %(num)d values.",
                    gone.values,
                ),
                "success",
            )
            return redirect(url_for("municipal_fields.index", _anchor=f"target-{target}"))
    if count is None:
        count = services.count_values(db, definition)
    form.seen.data = str(count.values)
    return render_template(
        "municipal_fields/purge.html",
        form=form,
        definition=definition,
        count=count,
        several=definition.type == FieldType.CHOICES,
        problem=problem,
    ), 400 if request.method == "POST" else 200
