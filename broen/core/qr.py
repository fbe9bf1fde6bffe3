"""QR codes for links people type into a phone: an SVG image as a data: URI (allowed by the pages' CSP)."""

from __future__ import annotations

import base64

import qrcode  # type: ignore[import-untyped]  # no type hints shipped
import qrcode.image.svg  # type: ignore[import-untyped]


def qr_data_uri(text: str) -> str:
    """`text` as an SVG QR code in a `data:image/svg+xml;base64,...` URI, for an `<img src>`."""
    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


__all__ = ["qr_data_uri"]
