"""The outcomes plugin's table: the targets a municipality's admin set for the figures of the report."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broen import api

#: The longest figure key (`OutcomeFigure.key`, "<plugin>.<name>").
MAX_KEY = 80


class OutcomeTarget(api.TenantMixin, api.Base):
    """A municipality's target for one figure (by its key): a count, a percent (0 to 100), or both."""

    __tablename__ = "outcomes_target"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    #: People for a "people" or "share" figure; the figure's own number for "mean" and "total".
    count: Mapped[int | None] = mapped_column(Integer)
    #: Percent of those enrolled ("people") or of `of` ("share").
    percent: Mapped[int | None] = mapped_column(Integer)
