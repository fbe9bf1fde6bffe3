"""Extra fields on a record's form and page, added by plugins (the municipal fields plugin: fields a
municipality's admin defines in the browser) to the forms of the core and of other plugins.

The page that owns a record's form builds it with `extra_form` (the form class, extended per request with
the fields the plugins give through `broen_extra_fields` — never a class cached at import), saves the
record and then `save_extras` in the same transaction before it commits (`broen_save_extra_fields`; a
value a plugin refuses raises `ExtraFieldError` naming its field, and the page shows it like any other
validation error, with nothing saved), and shows `extra_facts` (`broen_extra_facts`) on the record's page.
A target is a kind of record (`FieldTarget.key`): "citizen" for the core's citizens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_login import current_user

from broen.core.db import Database
from broen.core.models import Municipality
from broen.core.tenancy import current_municipality


class ExtraFieldError(ValueError):
    """A plugin refuses an extra field's value; `field` is the form field's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ExtraField:
    """A field a plugin adds to a record's form: `name` (unique on the form: "<plugin>__<key>"), `field`
    (an unbound WTForms field, e.g. `StringField(label, validators=[...])`) and the record's current
    `value` (None for a new record)."""

    name: str
    field: Any
    value: Any = None


@dataclass(frozen=True)
class ExtraFact:
    """A labelled value a plugin adds to a record's page, as text (escaped when shown)."""

    label: str
    value: str


def _user() -> Any:
    return current_user._get_current_object()


def call_for_user(hook: str, municipality: Municipality | None = None, **kwargs: Any) -> list[Any]:
    """A per-municipality page hook that takes `municipality` and `user` (and `kwargs`), for the logged-in
    user in `municipality` (the request's unless given): everything the plugins answered, in one list."""
    municipality = municipality or current_municipality()
    registry = current_app.extensions["broen.plugins"]
    return list(registry.call_flat(hook, municipality, municipality=municipality, user=_user(), **kwargs))


def _submitted(form: Any) -> bool:
    # Flask-WTF's forms know; a plain WTForms form (Flask-Admin's) does not: a POST is a sent form.
    is_submitted = getattr(form, "is_submitted", None)
    return bool(is_submitted()) if is_submitted is not None else request.method in ("POST", "PUT", "PATCH")


def extra_form(
    form_class: type,
    target: str,
    record_id: int | None = None,
    *,
    municipality: Municipality | None = None,
    **kwargs: Any,
) -> Any:
    """An instance of `form_class` with the extra fields the plugins give for `target` (and the record
    `record_id`, None for a new one), built for this request; `kwargs` go to the form. Unless the form
    was sent, the extra fields show the record's current values. `form.extra_names` lists them in order.
    `municipality` is the request's (`/<municipality>/...`) unless given: Flask-Admin's pages have none."""
    extras: list[ExtraField] = call_for_user(
        "broen_extra_fields", municipality, target=target, record_id=record_id
    )
    extended = type(form_class.__name__, (form_class,), {e.name: e.field for e in extras})
    form = extended(**kwargs)
    if not _submitted(form):
        for extra in extras:
            form[extra.name].data = extra.value
    form.extra_names = [e.name for e in extras]
    return form


def save_extras(
    db: Database,
    form: Any,
    target: str,
    record_id: int,
    *,
    municipality: Municipality | None = None,
) -> None:
    """Hand the extra fields' values of a validated `extra_form` to the plugins, in the caller's
    transaction (the caller commits). Raises `ExtraFieldError` when a plugin refuses a value, and lets any
    other failure through: a record is never saved without its extra values. `municipality`: as for
    `extra_form`."""
    data: Mapping[str, Any] = {name: form[name].data for name in getattr(form, "extra_names", [])}
    municipality = municipality or current_municipality()
    registry = current_app.extensions["broen.plugins"]
    registry.call_strict(
        "broen_save_extra_fields",
        municipality,
        municipality=municipality,
        target=target,
        record_id=record_id,
        user=_user(),
        data=data,
    )
    db.session.flush()


def extra_facts(target: str, record_id: int) -> list[ExtraFact]:
    """The labelled extra values of a record that the logged-in user may see, for its page."""
    facts: list[ExtraFact] = call_for_user("broen_extra_facts", None, target=target, record_id=record_id)
    return facts
