"""Values that cross the line between the core and a plugin: what a plugin declares and contributes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wtforms import Form


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin says about itself (returned by `broen_plugin_info`).

    `settings_form` is a WTForms form class whose field names are the setting keys; `defaults` gives a
    typed default for every key, used until a municipality admin saves other values.
    """

    name: str
    title_da: str
    title_en: str
    description: str = ""
    version: str = "0"
    settings_form: type[Form] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_da


@dataclass(frozen=True)
class MenuItem:
    """An entry in the municipality's menu. `endpoint` is a Flask endpoint; the core adds the slug."""

    label: str
    endpoint: str
    order: int = 100


@dataclass(frozen=True)
class WorklistItem:
    """Something that needs a staff member's attention today, shown on the municipality's start page."""

    text: str
    url: str | None = None
    #: "info", "warning" or "error"; decides the colour of the notice.
    level: str = "info"


@dataclass(frozen=True)
class FieldTarget:
    """A kind of record a municipality's admin may add fields to (e.g. "citizen", "cafe_course"):
    `key` is "citizen" for the core's citizens and "<plugin>_<table>" for a plugin's records."""

    key: str
    label_da: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_da


@dataclass(frozen=True)
class CitizenPanel:
    """A section on a citizen's page. `html` must be escaped by the plugin (render a template)."""

    title: str
    html: str
    order: int = 100


#: A section of a user's start page: the same shape as a section of a citizen's page.
HomePanel = CitizenPanel

#: How an `OutcomeFigure`'s value reads.
OUTCOME_KINDS = ("people", "share", "mean", "total")


@dataclass(frozen=True)
class OutcomeFigure:
    """One number of the outcome report, for one municipality and period (`broen_outcome_figures`).

    `key` names the figure in every municipality and period; prefix it with the plugin's name
    ("employers.flexjob"). The report adds municipalities up by key, and an admin sets targets by key.
    `kind` says how `value` reads:

    - "people": a number of people (the report also shows it as a share of those enrolled);
    - "share": `value` people of `of` people, e.g. still in the job after three months: 8 of 10;
    - "mean": `value` is a sum over `of` people, shown as value / of (e.g. WHO-5 points);
    - "total": a sum in `unit`, e.g. paid hours a week.

    Every kind is a sum and `of` a count, so adding municipalities up is adding `value` and `of`.
    `chart` groups figures into one chart ("course", "work", "retention", "wellbeing" or your own);
    `note` says in one plain sentence how the figure is counted (the report shows it under the table).
    """

    key: str
    label: str
    value: float
    kind: str = "people"
    of: int | None = None
    unit: str = ""
    chart: str = ""
    note: str = ""
    order: int = 100

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"OutcomeFigure {self.key!r}: kind must be one of {OUTCOME_KINDS}")
        if (self.of is None) == (self.kind in ("share", "mean")):
            raise ValueError(f"OutcomeFigure {self.key!r}: `of` goes with the kinds share and mean")


@dataclass(frozen=True)
class DataSection:
    """A part of what broen holds about one citizen (`broen_citizen_data`): `key` names it in the JSON export
    ("contacts", "who5"), `label` in the request's language on the summary and the erasure confirmation,
    and `records` are JSON-able mappings (dates as ISO strings), one per row. `labels` name the records'
    keys on the readable summary (in the request's language); a key without one is shown as it is."""

    key: str
    label: str
    records: list[dict[str, Any]]
    labels: Mapping[str, str] = field(default_factory=dict)
