"""The outcomes plugin's one door for writes: a municipality's targets.

`save_targets` checks every row first and raises `TargetError(key, field, message)` for the first broken
rule before anything is written; then it writes all rows, audits each change (names, never values) and
commits, in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from broen import api
from broen.plugins.outcomes.models import MAX_KEY, OutcomeTarget

_ = api.gettext

OBJECT_TYPE = "outcomes_target"
KEY = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$")
#: The largest count target (a sanity limit, not a rule of the programme).
MAX_COUNT = 1_000_000
#: Figure kinds a percent target goes with: people (of those enrolled) and shares (of `of`).
PERCENT_KINDS = ("people", "share")


class TargetError(ValueError):
    """A target broke a rule: `key` names the figure, `field` is "count" or "percent" (or "key")."""

    def __init__(self, key: str, field: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Target:
    """A target for one figure: a count, a percent (0 to 100), or both; None where none is set."""

    key: str
    count: int | None = None
    percent: int | None = None

    @property
    def empty(self) -> bool:
        return self.count is None and self.percent is None


def targets_of(municipality_ids: Sequence[int]) -> dict[int, dict[str, Target]]:
    """The targets of each municipality, by figure key: one statement for all of them."""
    result: dict[int, dict[str, Target]] = {m: {} for m in municipality_ids}
    rows = api.db().session.execute(
        select(OutcomeTarget.municipality_id, OutcomeTarget.key, OutcomeTarget.count, OutcomeTarget.percent)
        .where(OutcomeTarget.municipality_id.in_(list(municipality_ids)))
        .order_by(OutcomeTarget.key)
    )
    for municipality_id, key, count, percent in rows:
        result[municipality_id][key] = Target(key, count, percent)
    return result


def check(target: Target, kind: str | None = None) -> None:
    """Raise `TargetError` if `target` breaks a rule; `kind` is its figure's kind when known."""
    if len(target.key) > MAX_KEY or not KEY.match(target.key):
        raise TargetError(target.key, "key", _("Not a figure's key (they look like plugin.name)."))
    if target.count is not None and not 0 <= target.count <= MAX_COUNT:
        raise TargetError(
            target.key, "count", _("Write a whole number from 0 to %(limit)d.", limit=MAX_COUNT)
        )
    if target.percent is not None:
        if kind is not None and kind not in PERCENT_KINDS:
            raise TargetError(
                target.key, "percent", _("A percent target goes only with a number of people or a share.")
            )
        if not 0 <= target.percent <= 100:
            raise TargetError(target.key, "percent", _("Write a whole number from 0 to 100."))


def save_targets(
    municipality: api.Municipality,
    targets: Sequence[Target],
    by: api.User | None,
    kinds: Mapping[str, str] | None = None,
    *,
    commit: bool = True,
) -> list[str]:
    """Set the municipality's targets for the figures in `targets` (an empty one removes the target;
    figures not named are left alone), checked first (`kinds`: each figure's kind, for the percent rule),
    audited, in one transaction. Returns the keys whose targets changed. With `commit=False` the caller
    commits (a configuration import)."""
    kinds = kinds or {}
    for target in targets:
        check(target, kinds.get(target.key))
    db = api.db()
    api.lock_row(db, api.Municipality, municipality.id)
    existing = {
        t.key: t
        for t in db.session.scalars(
            api.scoped(OutcomeTarget, municipality).execution_options(populate_existing=True)
        )
    }
    changed: list[str] = []
    for target in targets:
        row = existing.get(target.key)
        if row is None and target.empty:
            continue
        if row is None:
            row = OutcomeTarget(municipality_id=municipality.id, key=target.key)
            db.session.add(row)
            db.session.flush()
            fields = [name for name in ("count", "percent") if getattr(target, name) is not None]
            row.count, row.percent = target.count, target.percent
            api.audit.record(
                db,
                "create",
                OBJECT_TYPE,
                row.id,
                by=by,
                municipality_id=municipality.id,
                key=target.key,
                fields=fields,
            )
        elif target.empty:
            api.audit.record(
                db, "delete", OBJECT_TYPE, row.id, by=by, municipality_id=municipality.id, key=target.key
            )
            db.session.delete(row)
        else:
            fields = [name for name in ("count", "percent") if getattr(row, name) != getattr(target, name)]
            if not fields:
                continue
            row.count, row.percent = target.count, target.percent
            api.audit.record(
                db,
                "update",
                OBJECT_TYPE,
                row.id,
                by=by,
                municipality_id=municipality.id,
                key=target.key,
                fields=fields,
            )
        changed.append(target.key)
    db.session.flush()
    if commit:
        db.session.commit()
    return changed
