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
