"""The outcomes plugin's forms: the report's period and scope (a GET form, no CSRF: it changes nothing),
and the targets page (built per municipality from the figures its plugins offer)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Form, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired

from broen import api

_ = api.gettext
_l = api.lazy_gettext

THIS, ALL = "this", "all"


class DayField(DateField):  # type: ignore[misc]  # WTForms ships no type hints
    """A date (YYYY-MM-DD, as a browser's date input sends it) with a message that says how to write it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError(_("Write the date as year-month-day, e.g. 2026-01-31.")) from err


class ReportForm(Form):  # type: ignore[misc]
    start = DayField(_l("From"), validators=[InputRequired(_l("Write the first day of the period."))])
    end = DayField(_l("To"), validators=[InputRequired(_l("Write the last day of the period."))])
    scope = RadioField(
        _l("Municipalities"),
        choices=[SelectChoice(THIS, _l("This municipality")), SelectChoice(ALL, _l("All my municipalities"))],
        validate_choice=False,
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        if self.scope.data not in (THIS, ALL):
            self.scope.errors = [*self.scope.errors, _("Choose this municipality or all of yours.")]
            ok = False
        if ok and self.end.data < self.start.data:
            self.end.errors = [*self.end.errors, _("The last day cannot be before the first day.")]
            ok = False
        return ok


def targets_form(figures: list[api.OutcomeFigure], percent_kinds: tuple[str, ...]) -> type[FlaskForm]:
    """A form class with a count field (`count_<n>`) for each figure, and a percent field
    (`percent_<n>`) for those of `percent_kinds`; labels name the figure, so an error says which row."""

    class TargetsForm(FlaskForm):  # type: ignore[misc]
        pass

    for n, figure in enumerate(figures):
        what = {
            "people": _("target, people"),
            "share": _("target, people"),
            "mean": _("target, mean"),
            "total": figure.unit or _("target"),
        }[figure.kind]
        if figure.kind == "total" and figure.unit:
            what = _("target, %(unit)s", unit=figure.unit)
        setattr(TargetsForm, f"count_{n}", StringField(f"{figure.label}: {what}"))
        if figure.kind in percent_kinds:
            setattr(
                TargetsForm, f"percent_{n}", StringField(_("%(label)s: target, percent", label=figure.label))
            )
    return TargetsForm
