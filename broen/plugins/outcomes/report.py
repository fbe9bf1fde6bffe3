"""The outcome report: every plugin's figures (`api.outcome_figures`) for one or more municipalities,
added up by key, with the targets, as rows of texts for the table, the CSV and the charts.

Adding up: a figure's `value` and `of` are sums over the municipalities that have it (a municipality that
has the figure's plugin off lacks it, and counts as absent). The "together" target: the count is the sum of
the counts the municipalities set; the percent is their percents' mean weighted by each one's denominator
(those enrolled for a "people" figure, the figure's `of` for a share), over those that set one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from broen import api
from broen.plugins.outcomes import services
from broen.plugins.outcomes.services import Target

_ = api.gettext

ENROLLED = "outcomes.enrolled"


def whole(number: float) -> int:
    """`number` rounded to a whole number, halves up (not to even, as `round` does)."""
    return int(number + 0.5) if number >= 0 else -int(-number + 0.5)


def one_decimal(number: float) -> str:
    """`number` with one decimal, with the language's decimal sign ("7,5" in Danish)."""
    return str(api.format_decimal(whole(number * 10) / 10, format="0.0"))


def amount(number: float) -> str:
    """A count or a sum: whole numbers as such, others with one decimal."""
    return str(int(number)) if float(number).is_integer() else one_decimal(number)


def percent(part: float, of: float) -> str:
    return _("%(percent)d %%", percent=whole(100 * part / of))


@dataclass(frozen=True)
class Cell:
    """A figure in one municipality or all together: `value` and `of` as `OutcomeFigure`'s."""

    value: float
    of: int | None = None


@dataclass(frozen=True)
class Text:
    """A figure's text; `hidden` is for screen readers only (e.g. "no one yet" after a dash)."""

    shown: str
    hidden: str = ""

    def __str__(self) -> str:
        return self.shown


@dataclass
class Row:
    """One figure of the report across the municipalities."""

    key: str
    label: str
    kind: str
    unit: str
    chart: str
    note: str
    order: int
    #: By municipality id; a municipality that lacks the figure is not in it.
    cells: dict[int, Cell] = field(default_factory=dict)
    #: Each municipality's own target (those that set one).
    targets: dict[int, Target] = field(default_factory=dict)

    @property
    def together(self) -> Cell:
        cells = list(self.cells.values())
        of = sum(c.of or 0 for c in cells) if self.kind in ("share", "mean") else None
        return Cell(sum(c.value for c in cells), of)


@dataclass
class Report:
    municipalities: list[api.Municipality]
    start: date
    end: date
    rows: list[Row]

    @property
    def several(self) -> bool:
        return len(self.municipalities) > 1

    def enrolled(self, municipality_id: int | None = None) -> float | None:
        """Those enrolled in one municipality (None: all together), or None if the figure is absent."""
        row = next((r for r in self.rows if r.key == ENROLLED), None)
        if row is None:
            return None
        if municipality_id is None:
            return row.together.value if row.cells else None
        cell = row.cells.get(municipality_id)
        return cell.value if cell else None

    # --- targets ---------------------------------------------------------------------------------------

    def weight(self, row: Row, municipality_id: int) -> float:
        """How much a municipality's percent target counts in the together target: its denominator."""
        if row.kind == "people":
            return self.enrolled(municipality_id) or 0
        cell = row.cells.get(municipality_id)
        return float(cell.of or 0) if cell else 0

    def together_target(self, row: Row) -> tuple[int | None, float | None]:
        """(count, percent) for all the municipalities together; None where none set one."""
        counts = [t.count for t in row.targets.values() if t.count is not None]
        percents = [(m, t.percent) for m, t in row.targets.items() if t.percent is not None]
        count = sum(counts) if counts else None
        share: float | None = None
        if percents:
            weights = [self.weight(row, m) for m, _p in percents]
            total = sum(weights)
            if total > 0:
                share = sum(w * p for w, (_m, p) in zip(weights, percents, strict=True)) / total
            else:
                share = sum(p for _m, p in percents) / len(percents)
        return count, share

    def target(self, row: Row, municipality_id: int | None = None) -> tuple[int | None, float | None]:
        if municipality_id is None:
            return self.together_target(row)
        target = row.targets.get(municipality_id)
        return (target.count, target.percent) if target else (None, None)

    def target_text(self, row: Row, municipality_id: int | None = None) -> str:
        """ "77 (55 %)", "77", "55 %" or "" (no target)."""
        count, share = self.target(row, municipality_id)
        shown_share = _("%(percent)d %%", percent=whole(share)) if share is not None else ""
        if count is None:
            return shown_share
        shown = amount(count) + (f" {row.unit}" if row.kind == "total" and row.unit else "")
        return f"{shown} ({shown_share})" if shown_share else shown

    # --- values ----------------------------------------------------------------------------------------

    def cell(self, row: Row, municipality_id: int | None) -> Cell | None:
        return row.together if municipality_id is None else row.cells.get(municipality_id)

    def value_text(self, row: Row, municipality_id: int | None = None, *, with_share: bool = True) -> Text:
        """The table's text of a figure in one municipality (None: together)."""
        cell = self.cell(row, municipality_id)
        if cell is None:
            return Text("–", _("not counted here"))
        if row.kind in ("share", "mean") and not cell.of:
            return Text("–", _("no one yet"))
        if row.kind == "share":
            assert cell.of is not None
            return Text(
                _(
                    "%(value)s of %(of)s (%(percent)s)",
                    value=amount(cell.value),
                    of=cell.of,
                    percent=percent(cell.value, cell.of),
                )
                if with_share
                else _("%(value)s of %(of)s", value=amount(cell.value), of=cell.of)
            )
        if row.kind == "mean":
            assert cell.of is not None
            return Text(one_decimal(cell.value / cell.of))
        if row.kind == "total":
            return Text(f"{amount(cell.value)} {row.unit}".strip())
        enrolled = self.enrolled(municipality_id)
        if with_share and row.key != ENROLLED and enrolled:
            return Text(
                _(
                    "%(value)s (%(percent)s of enrolled)",
                    value=amount(cell.value),
                    percent=percent(cell.value, enrolled),
                )
            )
        return Text(amount(cell.value))

    def share_percent(self, row: Row, municipality_id: int | None = None) -> float | None:
        """The figure as a percent: of those enrolled ("people"), of `of` ("share"); else None."""
        cell = self.cell(row, municipality_id)
        if cell is None:
            return None
        if row.kind == "share":
            return 100 * cell.value / cell.of if cell.of else None
        if row.kind == "people" and row.key != ENROLLED:
            enrolled = self.enrolled(municipality_id)
            return 100 * cell.value / enrolled if enrolled else None
        return None


def build(municipalities: Sequence[api.Municipality], start: date, end: date) -> Report:
    """The report for `municipalities` (one `api.outcome_figures` call each) and their targets."""
    rows: dict[str, Row] = {}
    for municipality in municipalities:
        for figure in api.outcome_figures(municipality, start, end):
            row = rows.get(figure.key)
            if row is None:
                row = rows[figure.key] = Row(
                    figure.key,
                    figure.label,
                    figure.kind,
                    figure.unit,
                    figure.chart,
                    figure.note,
                    figure.order,
                )
            elif row.kind != figure.kind:
                continue  # a plugin that changed a figure's kind between municipalities: keep the first
            previous = row.cells.get(municipality.id)
            of = None if figure.of is None else int(figure.of) + (previous.of or 0 if previous else 0)
            value = figure.value + (previous.value if previous else 0)
            row.cells[municipality.id] = Cell(value, of)
    targets = services.targets_of([m.id for m in municipalities])
    for row in rows.values():
        for municipality in municipalities:
            target = targets[municipality.id].get(row.key)
            if target is not None and not target.empty:
                row.targets[municipality.id] = target
    ordered = sorted(rows.values(), key=lambda r: r.order)  # stable: ties keep the order first seen
    return Report(list(municipalities), start, end, ordered)
