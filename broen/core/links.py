"""Links people follow from outside broen: full URLs under the installation's `base_url` (in e-mails, on
paper, in calendar apps), and QR codes of them for a phone's camera."""

from __future__ import annotations

import base64
from typing import Any

import qrcode  # type: ignore[import-untyped]  # no type hints shipped
import qrcode.image.svg  # type: ignore[import-untyped]
from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """The full URL of `endpoint` under the installation's `base_url`, in a request or not (an e-mail
    sent from the command line). Give every argument, `municipality` (the slug) too."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base: str = current_app.config["BROEN"].broen.base_url
    return base.rstrip("/") + path


def qr_data_uri(text: str) -> str:
    """`text` as an SVG QR code in a `data:image/svg+xml;base64,...` URI (allowed by the pages' CSP)."""
    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


__all__ = ["absolute_url", "qr_data_uri"]
