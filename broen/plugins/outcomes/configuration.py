"""The outcomes plugin's part of a municipality's configuration file: its targets.

Export: `[[plugins.outcomes.targets]]` tables (`key`, and `count` and/or `percent`). Import: every
target is checked strictly (unknown keys and wrong types are refused, naming their place) before
anything is written; the targets in the file are set, the others are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from broen import api
from broen.plugins.outcomes import services
from broen.plugins.outcomes.models import OutcomeTarget

_ = api.gettext

TARGET_KEYS = ("key", "count", "percent")


def export_section(municipality: api.Municipality) -> dict[str, Any] | None:
    rows = api.db().session.scalars(api.scoped(OutcomeTarget, municipality).order_by(OutcomeTarget.key))
    targets = []
    for row in rows:
        item: dict[str, Any] = {"key": row.key}
        if row.count is not None:
            item["count"] = row.count
        if row.percent is not None:
            item["percent"] = row.percent
        targets.append(item)
    return {"targets": targets} if targets else None


def _checked(section: Mapping[str, Any]) -> list[services.Target]:
    problems: list[str] = []
    for key in section:
        if key != "targets":
            problems.append(_("%(key)s: not a key of this part (it has targets only).", key=repr(key)))
    raw = section.get("targets", [])
    if not isinstance(raw, list):
        raise api.ConfigurationError(
            [*problems, _("targets: write each target as a [[plugins.outcomes.targets]] table.")]
        )
    targets: list[services.Target] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(raw, start=1):
        where = f"targets[{n}]"
        if not isinstance(item, dict):
            problems.append(_("%(where)s: write the target as a table.", where=where))
            continue
        before = len(problems)
        for key in item:
            if key not in TARGET_KEYS:
                problems.append(
                    _(
                        "%(where)s.%(key)s: not a key of a target (those are: %(known)s).",
                        where=where,
                        key=repr(key),
                        known=", ".join(TARGET_KEYS),
                    )
                )
        if not isinstance(item.get("key"), str):
            problems.append(
                _('%(where)s.key: write the figure\'s key in quotes, e.g. "outcomes.enrolled".', where=where)
            )
        for name in ("count", "percent"):
            value = item.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(
                    _(
                        "%(where)s.%(name)s: write a whole number, not %(value)s.",
                        where=where,
                        name=name,
                        value=repr(value),
                    )
                )
        if len(problems) > before:
            continue
        target = services.Target(item["key"], item.get("count"), item.get("percent"))
        try:
            services.check(target)
        except services.TargetError as err:
            problems.append(f"{where}.{err.field}: {err.message}")
            continue
        if target.key in seen:
            problems.append(
                _(
                    "%(where)s.key: %(key)s is in the file twice (also targets[%(first)d]).",
                    where=where,
                    key=target.key,
                    first=seen[target.key],
                )
            )
            continue
        seen[target.key] = n
        targets.append(target)
    if problems:
        raise api.ConfigurationError(problems)
    return targets


def import_section(
    municipality: api.Municipality, section: Mapping[str, Any], user: api.User | None, apply: bool
) -> list[str]:
    targets = _checked(section)
    current = {
        key: (count, percent)
        for key, count, percent in api.db().session.execute(
            select(OutcomeTarget.key, OutcomeTarget.count, OutcomeTarget.percent).where(
                OutcomeTarget.municipality_id == municipality.id
            )
        )
    }
    lines = [
        _("Sets the target of %(key)s.", key=t.key)
        for t in targets
        if current.get(t.key, (None, None)) != (t.count, t.percent)
    ]
    if not lines:
        lines.append(_("The targets are as in the file already."))
    if apply:
        services.save_targets(municipality, targets, user, commit=False)
    return lines
