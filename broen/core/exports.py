"""Spreadsheet exports: CSV the way Danish Excel opens it, safe against formula injection."""

from __future__ import annotations


def csv_cell(value: object) -> str:
    """A value as a CSV cell that Excel will not run as a formula (CSV injection): a cell starting with
    = + - @ (or a tab or carriage return) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
