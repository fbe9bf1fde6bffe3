"""Searching pages and news by their words (/<municipality>/pages/search?q=...).

The index is the database's own (migration pages_0003): SQLite's FTS5 table `pages_search` (bm25 ranks,
`snippet()` cuts the excerpt) or PostgreSQL's `pages_search` table of 'danish' tsvectors with a GIN index
(`ts_rank`, `ts_headline`). The reader's words are never passed on as query syntax: each word is quoted,
the last one also matches as a prefix ("kur" finds "kursus"). Results are joined with
`visibility.visible_condition`, so a search shows only what the reader may read, in two statements (the
count and one page of results) however many pages match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Index,
    TableClause,
    column,
    func,
    literal_column,
    select,
    table,
)

from broen import api
from broen.plugins.pages.models import Kind, Page, Status
from broen.plugins.pages.views import bp
from broen.plugins.pages.visibility import READERS, visible_condition

#: The index's tables, not in the models' metadata: schema comparisons leave them alone (on SQLite FTS5
#: adds its shadow tables pages_search_data, _idx, _docsize and _config).
INDEX_TABLES = ("pages_search",)
api.Base.metadata.info.setdefault("unmanaged_tables", set()).update(INDEX_TABLES)

#: The visibility rule's columns: the list of pages a reader may see is read from this index alone, not from
#: the pages' rows (where these columns come after the long text). Declared here, beside the query it is
#: for; the migration pages_0003 makes it.
VISIBILITY_INDEX = Index(
    "ix_pages_page_visibility", Page.municipality_id, Page.status, Page.audience, Page.audience_role
)

#: Results per page.
PER_PAGE = 20
#: At most this many words of a query count (and this many characters are read).
MAX_WORDS = 12
MAX_QUERY = 200
#: Where a matched word starts and stops in an excerpt (private-use characters, turned into <mark>).
START, STOP = "\ue000", "\ue001"
_WORD = re.compile(r"(\w+)")
_MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")
#: Markdown's marks, which mean nothing in a plain excerpt.
_MARKUP = re.compile(r"[#*`]+|^\s*> ", re.MULTILINE)

_fts = table("pages_search", column("rowid"), column("title"), column("body"))
_tsv = table("pages_search", column("page_id"), column("document"))


def words(query: str) -> list[str]:
    """The words of what the reader typed (letters and digits; everything else only separates them)."""
    return [w.lower() for w in _WORD.findall(query[:MAX_QUERY]) if w.strip("_")][:MAX_WORDS]


def fts5_query(terms: list[str], prefix: bool = False) -> str:
    """An FTS5 query that finds every term (each one quoted, so NEAR, OR, - and * are just words), with
    `prefix` the last one as the beginning of a word too."""
    return " ".join(f'"{t}"' for t in terms) + ("*" if prefix else "")


def tsquery(terms: list[str], prefix: bool = False) -> str:
    """A `to_tsquery` text that finds every term (each one quoted), with `prefix` the last one as the
    beginning of a word too."""
    return " & ".join(f"'{t}'" for t in terms) + (":*" if prefix else "")


def _fold(word: str) -> str:
    """`word` as FTS5's `unicode61 remove_diacritics 2` compares it: small letters, accents off (é is e,
    å is a; ø and æ are letters of their own)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def excerpt_of(body: str, terms: list[str], before: int = 8, length: int = 30) -> str:
    """About `length` words of `body` from a little before the first matched word, each matched word
    between START and STOP (every term whole, the last one also as the beginning of a word)."""
    parts = _WORD.split(" ".join(body.split()))  # text, word, text, word, ..., text
    whole, prefix = {_fold(t) for t in terms[:-1]}, _fold(terms[-1])

    def matches(word: str) -> bool:
        folded = _fold(word)
        return folded in whole or folded.startswith(prefix)

    word_at = list(range(1, len(parts), 2))
    first = next((n for n, at in enumerate(word_at) if matches(parts[at])), 0)
    start = max(0, first - before)
    stop = min(len(word_at), start + length)
    if not word_at:
        return ""
    out = [] if start == 0 else ["… "]
    for n in range(start, stop):
        at = word_at[n]
        word = parts[at]
        out.append(f"{START}{word}{STOP}" if matches(word) else word)
        if n + 1 < stop:
            out.append(parts[at + 1])
    out.append(parts[word_at[stop - 1] + 1] if stop == len(word_at) else " …")
    return "".join(out).strip()


@dataclass(frozen=True)
class Hit:
    """One result: the page, its owner's name, and an excerpt with the matched words between START and
    STOP (shown through `highlight`)."""

    page: Page
    owner: str
    excerpt: str

    @property
    def highlighted(self) -> Markup:
        return highlight(self.excerpt)


def highlight(excerpt: str) -> Markup:
    """The excerpt as safe HTML: every character escaped, the matched words in <mark>, Markdown's marks
    left out."""

    def plain(text: str) -> Markup:
        return escape(_MARKUP.sub("", text.replace(START, "").replace(STOP, "")))

    out, at = [], 0
    for match in _MARKED.finditer(excerpt):
        out.append(plain(excerpt[at : match.start()]))
        out.append(Markup("<mark>%s</mark>") % plain(match.group(1)))
        at = match.end()
    out.append(plain(excerpt[at:]))
    return Markup("").join(out)


@dataclass(frozen=True)
class _Index:
    """One database's index, as the statements of a search use it."""

    table: TableClause
    #: The index's page id.
    page_id: ColumnElement[int]
    #: The page id to test against the visible pages' list: on SQLite an expression (`rowid + 0`), or the
    #: planner hands the list to FTS5, which then runs the whole search once per listed page.
    listed_id: ColumnElement[int]
    #: The index row holds every word.
    match: ColumnElement[bool]
    #: How well a page matches, the best first when ordered by it.
    rank: ColumnElement[Any]
    #: The excerpt of a page's text, the matched words marked (None: `excerpt` makes it from the text).
    excerpt: ColumnElement[str] | None


def _index(db: api.Database, terms: list[str], prefix: bool) -> _Index:
    if db.engine.dialect.name == "sqlite":
        fts: ColumnClause[Any] = literal_column("pages_search")
        return _Index(
            _fts,
            _fts.c.rowid,
            _fts.c.rowid + 0,
            fts.op("MATCH")(fts5_query(terms, prefix)),
            # bm25: smaller is better; a word in the title counts ten times one in the text.
            func.bm25(fts, 10.0, 1.0),
            # The excerpt is cut in Python (`excerpt`): FTS5's snippet() is either made for every match
            # before the 20 best are chosen, or asked once per shown page, each time running the whole
            # query again (400 ms for a word on most of 10,000 pages).
            None,
        )
    danish: ColumnClause[Any] = literal_column("'danish'::regconfig")
    query = func.to_tsquery(danish, tsquery(terms, prefix))
    options = (
        f'StartSel="{START}", StopSel="{STOP}", MaxWords=30, MinWords=12, MaxFragments=2, '
        'FragmentDelimiter=" … "'
    )
    return _Index(
        _tsv,
        _tsv.c.page_id,
        _tsv.c.page_id,
        _tsv.c.document.op("@@")(query),
        -func.ts_rank(_tsv.c.document, query),
        func.ts_headline(danish, Page.body, query, options),
    )


def search(
    db: api.Database, user: api.User, municipality: api.Municipality, query: str, page: int = 1
) -> api.Page[Hit]:
    """Page `page` of the pages and news `user` may read under `municipality` that hold every word of
    `query`, the best first: whole words, or when no page has them all, the last word as the beginning of
    a word too ("virksom" finds "virksomhed"). Two statements, three when whole words find nothing, none
    for a query without words. (The beginning of a common word is many words: looking for it always
    would make the common searches three times slower.)

    The first statement counts the matches; the second ranks them and keeps one page of ids (an inner
    query), and only for those makes the excerpts, which cost far more than the ranking. The visible pages
    are an IN list, so the index drives both (joined, SQLite's planner may start from the pages and probe
    the index once per page: 150 ms instead of 10 for a word on most of 10,000 pages)."""
    terms = words(query)
    if not terms:
        return api.Page([], 0, 1, PER_PAGE)
    condition = visible_condition(user, municipality)
    for prefix in (False, True):
        index = _index(db, terms, prefix)
        visible = index.listed_id.in_(select(Page.id).where(condition))
        total = db.session.scalar(select(func.count()).select_from(index.table).where(index.match, visible))
        if total:
            break
    else:
        return api.Page([], 0, 1, PER_PAGE)
    number = max(1, min(page, -(-total // PER_PAGE)))
    best = (
        select(index.page_id.label("id"), index.rank.label("rank"))
        .select_from(index.table)
        .where(index.match, visible)
        .order_by(index.rank, index.page_id)
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
        .subquery("best")
    )
    excerpt = index.excerpt if index.excerpt is not None else literal_column("NULL")
    rows = db.session.execute(
        select(Page, api.Municipality.name, excerpt)
        .select_from(best)
        .join(Page, Page.id == best.c.id)
        .join(api.Municipality, api.Municipality.id == Page.municipality_id)
        .order_by(best.c.rank, Page.id)
    ).all()
    hits = [Hit(p, owner, text if text is not None else excerpt_of(p.body, terms)) for p, owner, text in rows]
    return api.Page(hits, total, number, PER_PAGE)


@bp.route("/search", endpoint="search")
@api.require_role(*READERS)
def search_view() -> ResponseReturnValue:
    query = request.args.get("q", "")[:MAX_QUERY].strip()
    results = search(api.db(), api.current_user(), api.current_municipality(), query, api.requested_page())
    return render_template(
        "pages/search.html",
        query=query,
        searched=bool(words(query)),
        results=results,
        Kind=Kind,
        Status=Status,
    )
