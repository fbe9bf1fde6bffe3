"""pages search: a full-text index of the pages' title and text, kept up to date by the database

SQLite: an FTS5 table over pages_page (external content, `unicode61 remove_diacritics 2`: "cafe" finds
"Café", and æ, ø, å stay searchable), filled by triggers on insert, update and delete. PostgreSQL: a table
of one `tsvector` per page ('danish' stemming, the title weighted above the text) with a GIN index, filled
by a trigger; a deleted page's row goes with it (ON DELETE CASCADE).

Neither is in the models' metadata (an FTS5 table has no SQLAlchemy type, and its shadow tables are
SQLite's): `broen.plugins.pages.search` names them so that schema comparisons leave them alone.

Note for later revisions: a batch (copy-and-move) change of pages_page on SQLite drops the triggers with the
old table; such a revision must create them again (`sqlite_triggers()` below) and rebuild the index.

Revision ID: pages_0003
Revises: pages_0002
Create Date: 2026-11-25 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "pages_0003"
down_revision: str | Sequence[str] | None = "pages_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def sqlite_triggers() -> list[str]:
    """The triggers that keep SQLite's `pages_search` equal to pages_page's title and body."""
    delete = (
        "INSERT INTO pages_search(pages_search, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body);"
    )
    insert = "INSERT INTO pages_search(rowid, title, body) VALUES (new.id, new.title, new.body);"
    return [
        f"CREATE TRIGGER pages_search_insert AFTER INSERT ON pages_page BEGIN {insert} END",
        f"CREATE TRIGGER pages_search_delete AFTER DELETE ON pages_page BEGIN {delete} END",
        f"CREATE TRIGGER pages_search_update AFTER UPDATE OF title, body ON pages_page BEGIN {delete} {insert} END",
    ]


def upgrade() -> None:
    # The visibility rule's columns, so that the list of visible pages a search joins is read from an index.
    op.create_index(
        "ix_pages_page_visibility",
        "pages_page",
        ["municipality_id", "status", "audience", "audience_role"],
        unique=False,
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE pages_search USING fts5(title, body, content='pages_page', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        for trigger in sqlite_triggers():
            op.execute(trigger)
        op.execute("INSERT INTO pages_search(pages_search) VALUES ('rebuild')")
        return
    op.execute(
        "CREATE TABLE pages_search (page_id integer PRIMARY KEY REFERENCES pages_page(id) ON DELETE CASCADE, "
        "document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX pages_search_document ON pages_search USING gin (document)")
    # The title weighs more than the text (A over B) in ts_rank.
    op.execute(
        "CREATE FUNCTION pages_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO pages_search (page_id, document) VALUES (NEW.id, "
        "setweight(to_tsvector('danish', NEW.title), 'A') || setweight(to_tsvector('danish', NEW.body), 'B')) "
        "ON CONFLICT (page_id) DO UPDATE SET document = EXCLUDED.document; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER pages_search_sync AFTER INSERT OR UPDATE OF title, body ON pages_page "
        "FOR EACH ROW EXECUTE FUNCTION pages_search_sync()"
    )
    op.execute(
        "INSERT INTO pages_search (page_id, document) SELECT id, "
        "setweight(to_tsvector('danish', title), 'A') || setweight(to_tsvector('danish', body), 'B') "
        "FROM pages_page"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS pages_search_{name}")
        op.execute("DROP TABLE IF EXISTS pages_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS pages_search_sync ON pages_page")
        op.execute("DROP FUNCTION IF EXISTS pages_search_sync()")
        op.execute("DROP TABLE IF EXISTS pages_search")
    op.drop_index("ix_pages_page_visibility", table_name="pages_page")
