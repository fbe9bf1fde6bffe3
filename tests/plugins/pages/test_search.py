"""Searching pages and news: only what the reader may read (every role of both municipalities, drafts and
each audience), Danish words, whatever the reader types (query syntax is never a 500), excerpts escaped, the
index following edits and deletions, and two statements per search. On SQLite (FTS5) and PostgreSQL
(tsvector, 'danish')."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask

from broen.core.demo import DEMO_PASSWORD
from broen.plugins.pages import search, services
from broen.plugins.pages.models import Kind, Page
from tests.conftest import Client, Demo, World, db_of, text_of
from tests.plugins.pages.conftest import MakePage, logged_in
from tests.plugins.pages.test_visibility import PAGES, ROLES, may_read
from tests.sqlcount import count_statements


def found(client: Any, query: str, slug: str = "silkeborg") -> str:
    response = client.get(f"/{slug}/pages/search", query_string={"q": query})
    assert response.status_code == 200, query
    return text_of(response)


def result_titles(client: Any, query: str, slug: str = "silkeborg") -> set[str]:
    """The titles of the results listed (each result is a list item that starts with its link)."""
    html = client.get(f"/{slug}/pages/search", query_string={"q": query}).get_data(as_text=True)
    return {unescape(t) for t in re.findall(r'<li>\s*<a href="[^"]*/pages/\d+">([^<]*)</a>', html)}


def test_a_search_finds_exactly_what_each_role_of_each_municipality_may_read(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    for title, owner, audience, role in PAGES:
        make_page(title, owner, audience, role, body=f"Om kaffebønner og {title}.")
        make_page(f"News: {title}", owner, audience, role, body="Nyt om kaffebønner.", kind=Kind.NEWS)
    make_page("Silkeborg about tea", "silkeborg", body="Te, ikke kaffe.")
    problems = []
    for viewer in ("silkeborg", "norddjurs"):
        for role in ROLES:
            client = logged_in(make_client, pages_world, role, viewer)
            listed = result_titles(client, "Kaffebønner", viewer)
            expected = {t for t, o, a, r in PAGES if may_read(viewer, role, o, a, r)}
            expected |= {f"News: {t}" for t in expected}
            if listed != expected:
                problems.append(f"{role}@{viewer}: {sorted(listed)} != {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_danish_letters_accents_and_the_beginning_of_a_word_are_found(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage, database_url: str
) -> None:
    make_page("Café for alle", body="Kørsel til kurset aftales med virksomheden. Vi mødes på Åkandevej.")
    make_page("Noget andet", body="Intet om det.")
    client = logged_in(make_client, pages_world, "mentor")
    for query in ("café", "CAFÉ", "kørsel", "Åkandevej", "kør", "alle kørsel"):
        assert "Café for alle" in found(client, query), query
        assert "Noget andet" not in found(client, query), query
    assert "Nothing matches 'kørsler og både'" in found(client, "kørsler og både")
    if database_url.startswith("sqlite"):
        assert "Café for alle" in found(client, "cafe")  # unicode61 remove_diacritics
    else:
        assert "Café for alle" in found(client, "virksomheder")  # 'danish' stems both to the same word


def test_query_syntax_is_only_words_and_never_an_error(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    make_page("Kaffe og kage", body="Vi drikker kaffe - og spiser kage.")
    make_page("Nær og fjern", body="Kaffe near kage or not.")
    client = logged_in(make_client, pages_world, "coordinator")
    for query in (
        '"kaffe',
        'kaffe"',
        "kaffe*",
        "-kaffe",
        "kaffe NEAR kage",
        "kaffe OR",
        "OR kaffe",
        "kaffe AND NOT",
        "kaffe (kage",
        "kaffe:kage",
        "title:kaffe",
        "kaffe ^kage",
        "kaffe & | ! kage :*",
        "'kaffe'",
        "kaffe\\",
        "kaffe' OR '1'='1",
    ):
        response = client.get("/silkeborg/pages/search", query_string={"q": query})
        assert response.status_code == 200, query
    # Quotes, stars and minus signs are not operators: the words are looked for.
    assert "Kaffe og kage" in found(client, '"kaffe -kage*')
    # NEAR, OR and NOT are words like the others (as an operator they would find "Kaffe og kage" too).
    for query in ("kaffe NEAR kage", "kaffe OR kage", "NOT kaffe"):
        assert result_titles(client, query) == {"Nær og fjern"}, query
    for query in ("", "   ", '"" * - ()'):
        text = found(client, query)
        assert "Write one or more words" in text and "result" not in text


def test_an_excerpt_shows_the_matched_words_marked_and_the_pages_text_escaped(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    make_page(
        "Farlig side",
        body='Før <script>alert("x")</script> <img src=x onerror=alert(1)> kaffebønner bagefter.',
    )
    client = logged_in(make_client, pages_world, "participant")
    html = client.get("/silkeborg/pages/search?q=kaffeb%C3%B8nner").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    # Shown as text (PostgreSQL's excerpt leaves out what its parser takes for tags, like <script>).
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<mark>kaffebønner</mark>" in html
    # The markers cannot be smuggled in by a writer either.
    assert str(search.highlight(f"{search.START}<b>{search.STOP} {search.STOP}x{search.START}")) == (
        "<mark>&lt;b&gt;</mark> x"
    )


def test_the_index_follows_edits_and_deletions(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    page_id = make_page("Tjekliste", body="Husk kaffebønner.")
    with app.app_context():
        db = db_of(app)
        page = db.session.get(Page, page_id)
        writer = db.session.merge(pages_world.user("silkeborg", "coordinator"))
        services.update_page(
            db, page, writer, services.PageData("Huskeliste", "Husk kanelsnegle.", page.slug)
        )
    client = logged_in(make_client, pages_world, "mentor")
    assert "Huskeliste" in found(client, "kanelsnegle")
    assert "Nothing matches" in found(client, "kaffebønner")
    assert "Nothing matches" in found(client, "tjekliste")
    with app.app_context():
        db = db_of(app)
        services.delete_page(db, db.session.get(Page, page_id), None)
    assert "Nothing matches" in found(client, "kanelsnegle")


def test_a_search_takes_two_or_three_statements_and_is_paged(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    for n in range(search.PER_PAGE + 3):
        make_page(f"Side {n:02d}", body=f"Side {n} handler blandt andet om kaffebønner.")
    make_page("Kaffebønner", body="Her står ordet i titlen og i teksten: kaffebønner.")
    for n in range(30):  # the word is in fewer than half the pages: it tells them apart (bm25's idf)
        make_page(f"Andet {n}", body="Om te.")
    with app.test_request_context("/silkeborg/pages/search"):
        db = db_of(app)
        user = db.session.merge(pages_world.user("silkeborg", "mentor"))
        municipality = db.session.merge(pages_world.municipalities["silkeborg"])
        with count_statements(app) as statements:
            first = search.search(db, user, municipality, "kaffebønner")
        assert len(statements) == 2
        assert first.total == search.PER_PAGE + 4 and len(first.items) == search.PER_PAGE
        # Best first: a word in the title counts more.
        assert first.items[0].page.title == "Kaffebønner"
        # The beginning of a word, when no page has it as a whole word: one more count.
        with count_statements(app) as statements:
            begun = search.search(db, user, municipality, "kaffeb")
        assert len(statements) == 3 and begun.total == first.total
        second = search.search(db, user, municipality, "kaffebønner", page=2)
        assert len(second.items) == 4
        assert not {h.page.id for h in first.items} & {h.page.id for h in second.items}
    client = logged_in(make_client, pages_world, "mentor")
    text = found(client, "kaffebønner")
    assert f"{search.PER_PAGE + 4} results" in text and "Page 1 of 2" in text


def test_the_demo_pages_are_found_by_the_municipalitys_mentor(demo: Demo) -> None:
    demo.app.test_client_class = Client
    client: Any = demo.app.test_client()
    assert client.login("mentor@silkeborg.demo", DEMO_PASSWORD).status_code == 302
    for query, title in (
        ("cafékursus", "Tjekliste til et cafékursus"),
        ("virksomhed brev", "Brevskabelon: første kontakt til en virksomhed"),
        ("du bestemmer", "Metoden: Du bestemmer"),
        ("gåtur", "Til frivillige mentorer: sådan holder du kontakten"),
        ("søgefeltet", "Velkommen til broen"),
    ):
        assert title in result_titles(client, query), query


def test_another_municipalitys_demo_pages_are_not_found(demo: Demo) -> None:
    demo.app.test_client_class = Client
    client: Any = demo.app.test_client()  # one log-in per test: the demo fixture keeps an app context
    assert client.login("jesper@norddjurs.demo", DEMO_PASSWORD).status_code == 302
    # Norddjurs has its own copy of the method; Silkeborg's mentors' page is not one of its results.
    assert result_titles(client, "du bestemmer", "norddjurs") == {"Metoden: Du bestemmer"}
    assert result_titles(client, "gåtur", "norddjurs") == set()
