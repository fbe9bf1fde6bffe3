"""The outcomes plugin's pages: the report (with its CSV and printable versions) for admins and
coordinators, and the targets page for admins. The report shows counts only, never a citizen."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from broen import api
from broen.plugins.outcomes import charts, report, services
from broen.plugins.outcomes.blueprint import NAME, STAFF, bp
from broen.plugins.outcomes.forms import ALL, THIS, ReportForm, targets_form
from broen.plugins.outcomes.styles import CSS

_ = api.gettext


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Outcomes"), "outcomes.report_page", order=70)]
    return []


def scope_municipalities(
    user: api.User, municipality: api.Municipality, scope: str
) -> list[api.Municipality]:
    """The report's municipalities: this one, or every one where `user` is staff and the plugin is on."""
    if scope != ALL:
        return [municipality]
    mine = [m.municipality for m in user.memberships if m.role in STAFF]
    return sorted((m for m in mine if api.plugin_enabled(NAME, m)), key=lambda m: m.name)


def _report_form() -> ReportForm:
    today = api.local_today(api.current_municipality())
    return ReportForm(request.args, start=date(today.year, 1, 1), end=today, scope=THIS)


def _query() -> dict[str, Any]:
    return dict(request.args.items())


def _args(form: ReportForm) -> dict[str, str]:
    return {"start": form.start.data.isoformat(), "end": form.end.data.isoformat(), "scope": form.scope.data}


def _built(form: ReportForm) -> report.Report:
    municipalities = scope_municipalities(api.current_user(), api.current_municipality(), form.scope.data)
    return report.build(municipalities, form.start.data, form.end.data)


def _page(template: str, form: ReportForm, built: report.Report | None) -> str:
    return render_template(
        template,
        form=form,
        report=built,
        charts=charts.charts(built) if built else [],
        args=_args(form) if built else {},
    )


@bp.route("/")
@api.require_role(*STAFF)
def report_page() -> ResponseReturnValue:
    form = _report_form()
    return _page("outcomes/report.html", form, _built(form) if form.validate() else None)


@bp.route("/print")
@api.require_role(*STAFF)
def print_page() -> ResponseReturnValue:
    form = _report_form()
    if not form.validate():
        return redirect(url_for(".report_page", **_query()))
    return _page("outcomes/print.html", form, _built(form))


@bp.route("/report.css")
@api.require_role(*STAFF)
def stylesheet() -> ResponseReturnValue:
    return Response(CSS, content_type="text/css; charset=utf-8")


@bp.route("/report.csv")
@api.require_role(*STAFF)
def report_csv() -> ResponseReturnValue:
    """The report's table as CSV (semicolons and a BOM, as Danish Excel expects; safe against formulas)."""
    form = _report_form()
    if not form.validate():
        return redirect(url_for(".report_page", **_query()))
    built = _built(form)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    columns = [m.name for m in built.municipalities] if built.several else []
    writer.writerow(
        api.csv_cell(c)
        for c in (
            _("Key"),
            _("Figure"),
            *columns,
            _("Together"),
            _("Target"),
            _("Percent (of enrolled, or of the share)"),
        )
    )
    for row in built.rows:
        share = built.share_percent(row)
        values = [str(built.value_text(row, m.id, with_share=False)) for m in built.municipalities]
        writer.writerow(
            api.csv_cell(v)
            for v in (
                row.key,
                row.label,
                *(values if built.several else []),
                str(built.value_text(row, with_share=False)),
                built.target_text(row),
                report.one_decimal(share) if share is not None else "",
            )
        )
    name = _("outcomes")
    filename = f"{name}-{api.current_municipality().slug}-{built.start}-{built.end}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- targets ---------------------------------------------------------------------------------------------


def _parse(form: Any, name: str) -> int | None:
    """The whole number in a field, or None when empty; a message on the field otherwise."""
    raw = (form[name].data or "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) <= 9:
        return int(raw)
    form[name].errors = [*form[name].errors, _("Write a whole number, e.g. 70, or leave it empty.")]
    return None


@bp.route("/targets", methods=["GET", "POST"])
@api.require_role(api.Role.ADMIN)
def targets() -> ResponseReturnValue:
    municipality = api.current_municipality()
    today = api.local_today(municipality)
    offered = list(
        {f.key: f for f in api.outcome_figures(municipality, date(today.year, 1, 1), today)}.values()
    )
    form_class = targets_form(offered, services.PERCENT_KINDS)
    current = services.targets_of([municipality.id])[municipality.id]
    data: dict[str, Any] = {}
    for n, figure in enumerate(offered):
        target = current.get(figure.key)
        if target is not None:
            data[f"count_{n}"] = "" if target.count is None else str(target.count)
            data[f"percent_{n}"] = "" if target.percent is None else str(target.percent)
    form = form_class(data=data)
    if form.validate_on_submit():
        wanted = []
        for n, figure in enumerate(offered):
            count = _parse(form, f"count_{n}")
            share = _parse(form, f"percent_{n}") if f"percent_{n}" in form else None
            wanted.append(services.Target(figure.key, count, share))
        if not form.errors:
            try:
                services.save_targets(
                    municipality, wanted, api.current_user(), {f.key: f.kind for f in offered}
                )
            except services.TargetError as err:
                api.db().session.rollback()
                n = next(i for i, f in enumerate(offered) if f.key == err.key)
                api.field_error(form, _Named(f"{err.field}_{n}", err.message), f"count_{n}")
            else:
                flash(_("The targets are saved."), "success")
                return redirect(url_for(".targets"))
    rows = [
        (figure, form[f"count_{n}"], getattr(form, f"percent_{n}", None)) for n, figure in enumerate(offered)
    ]
    return render_template("outcomes/targets.html", form=form, rows=rows)


class _Named:
    """A service error put on a form field by the field's name (`api.field_error`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
