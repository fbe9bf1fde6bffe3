"""Markdown to safe HTML: markdown-it-py (CommonMark and tables; raw HTML in the text is shown as text,
links are not made from bare addresses), then nh3 with an explicit allow-list.

Two walls: the Markdown parser never passes the writer's HTML through, and whatever it makes goes through
the sanitiser, which keeps only the tags and attributes below, links to http(s), mailto and relative
addresses (each with `rel="noopener noreferrer"`), and images from https or broen's own paths. A page
stores the result with `RENDER_VERSION`; raise it when the rules here change, and older pages are made
again from their Markdown (`services.rerender_stale`, and in memory until then: `page_html`).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: Raise when the parser's options or the allow-list change: stored HTML of an older version is remade.
RENDER_VERSION = 1

TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
        "pre",
        "blockquote",
        "em",
        "strong",
    }
)
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _image_source_allowed(value: str) -> bool:
    """https images, or a path on broen itself (an attachment's URL); never http, data: or `//host`."""
    value = value.strip()
    return value.lower().startswith("https://") or (value.startswith("/") and not value.startswith("//"))


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _image_source_allowed(value):
        return None
    return value


def sanitise(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes of `html` (comments go too)."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
    )


def to_html(markdown: str) -> str:
    """The sanitised HTML of a page's Markdown."""
    return sanitise(_markdown.render(markdown))


def page_html(body: str, stored: str, version: int) -> Markup:
    """What a page shows: its stored HTML when made by the current rules, else made again from `body`.
    The stored HTML passes the sanitiser again on the way out (it is cheap), so not even a row written
    around the services (a restore of an old backup, a hand-made fix) can put a script on a page."""
    html = stored if version == RENDER_VERSION else to_html(body)
    return Markup(sanitise(html))  # noqa: S704  # sanitised just now by the allow-list above
