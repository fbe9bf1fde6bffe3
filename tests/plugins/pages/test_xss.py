"""XSS payloads a writer types into a page are inert wherever the page's text is shown: on the page, in the
live preview (the script's JSON and the no-script Preview button), in the Atom feed. And the sanitiser
alone (the second wall, behind Markdown that never passes HTML through) keeps only its allow-list."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from flask import Flask

from broen.plugins.pages import render
from broen.plugins.pages.models import Audience, Kind
from tests.conftest import World
from tests.plugins.pages.conftest import MakePage, logged_in

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PAYLOADS = [
    "<script>alert('script')</script>",
    "[click](javascript:alert('link'))",
    "[click](JaVaScRiPt:alert('case'))",
    "[click](&#106;avascript:alert('entity'))",
    "<img src=x onerror=alert('attribute')>",
    "![pic](x\" onerror=\"alert('quote'))",
    "<svg><script>alert('svg')</script></svg>",
    "<svg onload=alert('svg-load')>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![data](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "<!--><script>alert('comment')</script>-->",
    "<a href='javascript:alert(1)'>raw link</a>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
]
TEXT = "# Safe heading\n\n" + "\n\n".join(PAYLOADS) + "\n\n[a good link](https://example.org)\n"

#: What the sanitised HTML may contain: these tags, these attributes.
TAGS = set(render.TAGS)
ATTRIBUTES = {"a": {"href", "title", "rel"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


class Inspector(HTMLParser):
    """Every tag and attribute of a fragment, for checking against the allow-list."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ATTRIBUTES.get(tag, set()):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src") and value is not None:
                if not re.match(r"^(https://|http://|mailto:|/(?!/)|#)", value) and tag == "img":
                    self.problems.append(f"<img src={value!r}>")
                if re.match(r"^\s*(javascript|data|vbscript):", value, re.I):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")


def inert(fragment: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(fragment)
    inspector.close()
    return inspector.problems


def page_body(html: str) -> str:
    match = re.search(r'<div class="broen-page-body"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no page body"
    return match.group(1)


@SQLITE_ONLY
def test_payloads_typed_into_a_page_are_inert_on_the_page_in_the_preview_and_in_the_feed(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    news_id = make_page("Harmless", kind=Kind.NEWS, audience=Audience.MUNICIPALITY)
    client = logged_in(make_client, pages_world, "admin")
    saved = client.submit(
        f"/silkeborg/pages/{news_id}/edit", {"title": "<b>Bold?</b>", "body": TEXT, "news_date": "2026-01-05"}
    )
    assert saved.status_code == 302

    shown = client.get(f"/silkeborg/pages/{news_id}").get_data(as_text=True)
    body = page_body(shown)
    assert not inert(body), inert(body)
    assert "<h1>Safe heading</h1>" in body and 'href="https://example.org" rel="noopener noreferrer"' in body
    assert "&lt;b&gt;Bold?&lt;/b&gt;" in shown and "<b>Bold?" not in shown
    # The page's only scripts are broen's own files (the CSP forbids inline ones anyway).
    assert set(re.findall(r"<script[^>]*>", shown)) <= {
        '<script src="/static/dkfds/js/dkfds.min.js">',
        '<script src="/static/broen/broen.js">',
    }

    token = client.csrf_token(f"/silkeborg/pages/{news_id}/edit")
    live = client.post("/silkeborg/pages/preview", data={"body": TEXT, "csrf_token": token})
    assert live.status_code == 200 and live.is_json
    assert not inert(live.get_json()["html"]) and "Safe heading" in live.get_json()["html"]
    assert client.post("/silkeborg/pages/preview", data={"body": TEXT}).status_code == 400  # no CSRF token

    button = client.post(
        f"/silkeborg/pages/{news_id}/edit",
        data={"title": "x", "body": TEXT, "preview": "1", "csrf_token": token},
    )
    assert button.status_code == 200
    preview = re.search(
        r'<div id="page-preview"[^>]*>(.*?)</div>\s*</section>', button.get_data(as_text=True), re.S
    )
    assert preview and "Safe heading" in preview.group(1) and not inert(preview.group(1))

    feed = ET.fromstring(  # noqa: S314  # our own feed, in a test
        client.get("/silkeborg/pages/news.atom").get_data()
    )
    (entry,) = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert entry.findtext("{http://www.w3.org/2005/Atom}title") == "<b>Bold?</b>"  # text, not markup
    content = entry.find("{http://www.w3.org/2005/Atom}content")
    assert content is not None and content.get("type") == "html"
    assert not inert(content.text or "") and "Safe heading" in (content.text or "")


def test_the_sanitiser_alone_keeps_only_its_allow_list() -> None:
    raw = "".join(
        [
            "<script>alert(1)</script><p onclick='x()'>text</p>",
            "<a href='javascript:alert(1)'>a</a><a href='//evil.example/x'>b</a><a href='/own/page'>c</a>",
            "<img src='http://plain.example/x.png'><img src='data:image/png;base64,AAAA'><img src='//evil/x.png'>",
            "<img src='https://ok.example/x.png' onerror='x()'><img src='/silkeborg/pages/1.png'>",
            "<svg><script>alert(1)</script><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
            "<!-- <img src=x onerror=alert(1)> --><math><mi xlink:href='javascript:alert(1)'>m</mi></math>",
            "<iframe src='https://evil'></iframe><object data='x'></object><style>p{}</style><form><input></form>",
        ]
    )
    clean = render.sanitise(raw)
    assert not inert(clean), inert(clean)
    assert "<p>text</p>" in clean and '<a href="/own/page" rel="noopener noreferrer">c</a>' in clean
    assert (
        clean.count("<img") == 5
        and 'src="https://ok.example/x.png"' in clean
        and 'src="/silkeborg/pages/1.png"' in clean
    )
    assert "plain.example" not in clean and "data:" not in clean and "//evil/x.png" not in clean
    assert "alert" not in clean and "<svg" not in clean and "iframe" not in clean
