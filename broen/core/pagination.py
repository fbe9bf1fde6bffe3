"""Long lists a page at a time: one count, then one page of rows (the `pagination` macro shows the links)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select

from broen.core.db import Database

T = TypeVar("T")

#: Rows on a page, unless a list says otherwise.
PER_PAGE = 25


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its `items`, how many there are in all, which page this is (from 1)."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(
    db: Database,
    stmt: Select[Any],
    page: int,
    per_page: int = PER_PAGE,
    item: Callable[..., T] | None = None,
) -> Page[T]:
    """Page `page` of `stmt`'s rows (a page past the end shows the last one). Without `item` the rows'
    first column are the items (a `select(Model)`); with it, each item is `item(*row)`."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, min(page, math.ceil(total / per_page) or 1))
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    if item is None:
        items: list[Any] = list(db.session.scalars(limited))
    else:
        items = [item(*row) for row in db.session.execute(limited)]
    return Page(items, total, page, per_page)


def requested_page() -> int:
    """The page the request asks for (`?page=`), 1 when it asks for none or for nonsense."""
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


__all__ = ["PER_PAGE", "Page", "paginate", "requested_page"]
