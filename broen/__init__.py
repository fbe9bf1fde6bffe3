"""broen: an intranet for the people who help citizens with mental illness into work."""

from broen.core.app import create_app

__all__ = ["create_app"]
