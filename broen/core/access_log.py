"""gunicorn's access log without the secrets some URLs carry.

A personal calendar link (`/feeds/<token>.ics`) and an invitation link (`/invitation/<token>`) are keys: whoever
reads them in a log could see someone's meetings or take their invitation. Run gunicorn with
`--logger-class broen.core.access_log.Logger` (docs/operations.md) and those tokens are written as `[token]`,
in the request line, the path, the query and the Referer alike.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger  # type: ignore[import-untyped]

#: The path segments that are secrets, and what stays of them in the log.
SECRET_PATHS = re.compile(r"(/feeds/|/invitation/)[^/?#\s\"]+?(\.ics)?(?=[/?#\s\"]|$)")


def redact(text: str) -> str:
    """`text` with the tokens of calendar and invitation links replaced by `[token]`."""
    return SECRET_PATHS.sub(lambda m: f"{m.group(1)}[token]{m.group(2) or ''}", text)


class Logger(_GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger, with every access-log field that may hold a URL redacted."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
