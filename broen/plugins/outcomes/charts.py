"""The report's charts: one horizontal bar chart per chart group, drawn on the server as inline SVG.

Python does the geometry (this module), the template `outcomes/_chart.html` writes the SVG (escaped).
A chart reads without colour and without a pointer: every bar has its number printed next to it, the
target is a dashed tick with the word "target" in the bar's text and in the legend, and `<title>` and
`<desc>` say every number in words for screen readers. Only numbers of people and shares are drawn (on one
scale of people, and 0 to 100 %); a mean or a total alone on a scale of its own would be a full bar that
says nothing, so those stay in the table.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from broen import api
from broen.plugins.outcomes.report import Report, Row

_ = api.gettext

#: The order of the known chart groups; others follow in the order they first appear.
GROUPS = ("course", "work", "retention", "wellbeing")
#: The drawing's width in SVG units: 1:1 on a 360 px phone, scaled up on wider screens.
WIDTH = 360
#: The longest bar (each bar's number is printed on the line above it, so the bars take the width).
BAR_SPACE = 330
BAR_HEIGHT = 16
#: A bar's text is wrapped at this many characters (12-unit text over the drawing's width).
LINE_CHARS = 52
LINE_HEIGHT = 14
#: The kinds of figure drawn.
DRAWN = ("people", "share")
#: Bar colours (each at least 4.5:1 against white): all together, then each municipality in turn.
TOGETHER = "#004d99"
SERIES = ("#6a3d9a", "#8a4b00", "#1b6b3a", "#a3195b")
INK = "#1a1a1a"


def group_title(group: str) -> str:
    titles = {
        "course": _("Course"),
        "work": _("Work and education"),
        "retention": _("Still in the job"),
        "wellbeing": _("Wellbeing (WHO-5)"),
    }
    return titles.get(group, group.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    colour: str
    #: The bar's text, wrapped, on the lines above the bar.
    lines: list[str]
    #: The baseline of the text's first line.
    text_y: float
    #: Where the target tick goes, or None without a target.
    tick_x: float | None = None


@dataclass(frozen=True)
class Figure:
    label: str
    #: The baseline of the figure's heading line, or None without one (a chart of one series).
    label_y: float | None
    bars: list[Bar]


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    height: float
    figures: list[Figure] = field(default_factory=list)
    has_target: bool = False
    legend_y: float = 0


def _scale_key(row: Row) -> str:
    """Figures on one scale: shares on 0 to 100 %, people together."""
    return "%" if row.kind == "share" else "people"


def _measure(report: Report, row: Row, municipality_id: int | None) -> tuple[float | None, float | None]:
    """(bar length in the row's unit, target in the same unit) for one series; None where absent."""
    cell = report.cell(row, municipality_id)
    count, share = report.target(row, municipality_id)
    if row.kind == "share":
        value = 100 * cell.value / cell.of if cell is not None and cell.of else None
        if share is None and count is not None and cell is not None and cell.of:
            share = 100 * count / cell.of
        return value, share
    value = cell.value if cell is not None else None
    target = float(count) if count is not None else None
    if target is None and share is not None and row.kind == "people":
        enrolled = report.enrolled(municipality_id)
        target = share * enrolled / 100 if enrolled else None
    return value, target


def _series(report: Report) -> list[tuple[int | None, str, str]]:
    """(municipality id or None for together, name, colour): each municipality when several, then all."""
    if not report.several:
        return [(None, "", TOGETHER)]
    named = [(m.id, m.name, SERIES[n % len(SERIES)]) for n, m in enumerate(report.municipalities)]
    return [*named, (None, _("Together"), TOGETHER)]


def charts(report: Report) -> list[Chart]:
    """One chart per chart group with a number of people or a share, in `GROUPS`' order, then the others."""
    drawn = [row for row in report.rows if row.chart and row.kind in DRAWN]
    groups = list(dict.fromkeys(row.chart for row in drawn))
    ordered = [g for g in GROUPS if g in groups] + [g for g in groups if g not in GROUPS]
    return [_chart(report, group, [row for row in drawn if row.chart == group]) for group in ordered]


def _chart(report: Report, group: str, rows: list[Row]) -> Chart:
    series = _series(report)
    measured = {
        row.key: [(_measure(report, row, m), name, colour, m) for m, name, colour in series] for row in rows
    }
    scales: dict[str, float] = {}
    for row in rows:
        key = _scale_key(row)
        top = 100.0 if key == "%" else 0.0
        for (value, target), *_rest in measured[row.key]:
            top = max(top, value or 0, target or 0)
        scales[key] = max(scales.get(key, 0.0), top)
    chart = Chart(id=f"outcomes-chart-{group}", title=group_title(group), desc="", height=0)
    y = 6.0
    words: list[str] = []
    for row in rows:
        top = scales[_scale_key(row)] or 1.0
        figure = Figure(row.label, None, [])
        if report.several:  # a heading line over the figure's bars; alone, the bar's text names it
            y += 14
            figure = Figure(row.label, y, [])
            y += 6
        spoken: list[str] = []
        for (value, target), name, colour, municipality_id in measured[row.key]:
            value_text = report.value_text(row, municipality_id)
            shown = str(value_text)
            target_text = report.target_text(row, municipality_id)
            text = f"{name or row.label}: {value_text.hidden or shown}"
            if target_text:
                text = _("%(shown)s · target %(target)s", shown=text, target=target_text)
                chart.has_target = True
            width = BAR_SPACE * (value or 0) / top
            tick = BAR_SPACE * target / top if target is not None else None
            lines = textwrap.wrap(text, LINE_CHARS) or [text]
            above = LINE_HEIGHT * (len(lines) - 1)
            figure.bars.append(Bar(y + 16 + above, width, colour, lines, y + 12, tick))
            y += 16 + above + BAR_HEIGHT + 6
            said = value_text.hidden or shown
            spoken.append(
                (f"{name} {said}" if name else said)
                + (_(", target %(target)s", target=target_text) if target_text else "")
            )
        chart.figures.append(figure)
        words.append(f"{row.label}: {'; '.join(spoken)}.")
    if chart.has_target:
        y += 8
        chart.legend_y = y
        y += 14
    chart.height = y + 6
    chart.desc = " ".join(words)
    return chart
