"""Extra columns and filters on a list of records, added by plugins (the municipal fields plugin: the fields a
municipality's admin defined) to the lists of the core and of other plugins.

The page that owns a list reads what the user asked for with `options = list_options(target)` (the columns
plugins offer, the ones chosen in the query string, the filters typed there, already parsed, with a message
for each that could not be read), narrows its query with `options.conditions(id_column)` (SQL conditions on
the record's id, from `broen_list_conditions`: the database filters the whole list), and gets the chosen
columns' texts for the records of the page with one call, `options.values(ids)` (`broen_list_values`, whose
plugins answer with a fixed number of queries however many records and columns).

In the query string a chosen column is `cols=<name>`; a text or choice filter is `<name>=<value>`, and a
number or date filter is `<name>.from` and `<name>.to` (either may be left empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement

from broen.core.extra_fields import call_for_user

#: The longest filter text read from the query string.
MAX_FILTER_TEXT = 100


@dataclass(frozen=True)
class ListColumn:
    """A column a plugin offers on a list of records: `name` (unique: "<plugin>__<key>"), its `label` in the
    user's language, whether it is `sensitive` (shown only when chosen, and left out of exports unless
    chosen), and its `filter`: None, "text" (contains), "choice" (one of `options`, (value, label) pairs),
    "number" or "date" (from/to)."""

    name: str
    label: str
    sensitive: bool = False
    filter: str | None = None
    options: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class ListValues:
    """One column's texts for records of a list: record id → plain text (no key: nothing to show)."""

    column: str
    values: Mapping[int, str]


#: A parsed filter: the text or the chosen option's value, or (from, to) for a range (None: open end).
FilterValue = str | tuple[Decimal | date | None, Decimal | date | None]


@dataclass(frozen=True)
class ListOptions:
    """What the user asked of a list of records of `target`: every offered column, the chosen ones in order,
    the filters that could be read (by column name) and a message for each that could not."""

    target: str
    columns: Sequence[ListColumn] = ()
    shown: Sequence[ListColumn] = ()
    filters: Mapping[str, FilterValue] = field(default_factory=dict)
    errors: Sequence[str] = ()

    def query_args(self) -> dict[str, Any]:
        """The query-string arguments that ask for the same columns and filters (for links)."""
        args: dict[str, Any] = {"cols": [c.name for c in self.shown]} if self.shown else {}
        for column in self.columns:
            if column.filter in ("number", "date"):
                for suffix in (".from", ".to"):
                    value = request.args.get(column.name + suffix, "").strip()[:MAX_FILTER_TEXT]
                    if value:
                        args[column.name + suffix] = value
            elif column.filter and column.name in self.filters:
                args[column.name] = self.filters[column.name]
        return args

    def cells(self, values: Mapping[str, Mapping[int, str]], record_id: int) -> Markup:
        """A record's cells of the chosen columns (`values` from `values`), as table HTML: built here
        rather than in the template, which would take most of a long page's time for them."""
        return Markup(  # noqa: S704 - the labels and values are escaped here
            "".join(
                f'<td data-title="{escape(c.label)}">{escape(values.get(c.name, {}).get(record_id) or "—")}</td>'
                for c in self.shown
            )
        )

    def conditions(self, id_column: Any) -> list[ColumnElement[bool]]:
        """SQL conditions on `id_column` (the list's record id) for the filters, to add to the list's query
        with `.where(*conditions)`. No filters: no conditions (and no plugin is asked)."""
        if not self.filters:
            return []
        conditions: list[ColumnElement[bool]] = call_for_user(
            "broen_list_conditions", target=self.target, id_column=id_column, filters=dict(self.filters)
        )
        return conditions

    def values(
        self, record_ids: Sequence[int], columns: Sequence[ListColumn] | None = None
    ) -> dict[str, Mapping[int, str]]:
        """The texts of the chosen columns (or of `columns`, e.g. `exported()`) for the records `record_ids`:
        column name → record id → text. Nothing asked: no plugin is called."""
        names = [c.name for c in (self.shown if columns is None else columns)]
        if not names or not record_ids:
            return {}
        answers: list[ListValues] = call_for_user(
            "broen_list_values", target=self.target, columns=names, record_ids=list(record_ids)
        )
        return {a.column: a.values for a in answers if a.column in names}

    def exported(self) -> list[ListColumn]:
        """The columns of an export: every column that is not sensitive, and the sensitive ones chosen."""
        chosen = {c.name for c in self.shown}
        return [c for c in self.columns if not c.sensitive or c.name in chosen]


def extra_columns(target: str) -> list[ListColumn]:
    """The extra columns the logged-in user may add to a list of records of `target`."""
    columns: list[ListColumn] = call_for_user("broen_list_columns", target=target)
    return columns


def _bound(column: ListColumn, text: str) -> Decimal | date | None:
    if not text:
        return None
    if column.filter == "number":
        number = Decimal(text.replace(",", "."))
        if not number.is_finite():
            raise ValueError(text)
        return number
    return date.fromisoformat(text)


def list_options(target: str) -> ListOptions:
    """The columns and filters the query string asks for, of those the plugins offer for `target`."""
    columns = extra_columns(target)
    by_name = {c.name: c for c in columns}
    chosen = request.args.getlist("cols")
    shown = [by_name[name] for name in dict.fromkeys(chosen) if name in by_name]
    filters: dict[str, FilterValue] = {}
    errors: list[str] = []
    for column in columns:
        if column.filter in ("text", "choice"):
            value = request.args.get(column.name, "").strip()[:MAX_FILTER_TEXT]
            if not value:
                continue
            if column.filter == "choice" and value not in {v for v, _label in column.options}:
                errors.append(_("%(label)s: choose among the choices shown.", label=column.label))
                continue
            filters[column.name] = value
        elif column.filter in ("number", "date"):
            ends: list[Decimal | date | None] = []
            for suffix in (".from", ".to"):
                text = request.args.get(column.name + suffix, "").strip()[:MAX_FILTER_TEXT]
                try:
                    ends.append(_bound(column, text))
                except (ValueError, InvalidOperation):
                    ends.append(None)
                    if column.filter == "number":
                        errors.append(_("%(label)s: write a number, e.g. 12.", label=column.label))
                    else:
                        errors.append(_("%(label)s: write a date, e.g. 2026-03-31.", label=column.label))
            if ends[0] is not None or ends[1] is not None:
                filters[column.name] = (ends[0], ends[1])
    return ListOptions(
        target, columns=columns, shown=shown, filters=filters, errors=list(dict.fromkeys(errors))
    )
