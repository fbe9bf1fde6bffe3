"""broen served the way production serves it, for the production tests and benchmarks/load.py.

`gunicorn(...)` starts gunicorn in a process of its own (sync workers by default, as docs/operations.md
recommends), on a free port of 127.0.0.1, waits until a worker answers `/healthz`, and stops it (and any
worker left behind) at the end, however the block ends. `Browser` is a small HTTP client with a cookie jar
that logs in and submits forms with their CSRF token as a browser does, on one keep-alive connection
where the server keeps it open (stdlib `http.client`: nothing to install).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.fixtures.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
#: A secret key that passes production mode's check (a throwaway database, loopback only).
SECRET = "production-test-secret-" + "x" * 40
#: What counts as "the server did not answer": the connection broke or nobody answered in time.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Server:
    """A running gunicorn master and the port it listens on."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's worker processes now (Linux: /proc/<pid>/task/*/children)."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return sorted(pids)

    def wait_for_workers(
        self, count: int, *, not_among: Collection[int] = (), timeout: float = 60
    ) -> list[int]:
        """Wait until the master has `count` workers, none of them in `not_among`; their pids."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.worker_pids()
            if len(pids) == count and not set(pids) & set(not_among):
                return pids
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn has workers {pids}, expected {count} new ones")
            time.sleep(0.05)


def _answers(port: int, timeout: float) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except CONNECTION_ERRORS:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str],
    *,
    app_spec: str = "broen:create_app()",
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
    startup_timeout: float = 90,
) -> Iterator[Server]:
    """gunicorn serving `app_spec` with `workers` workers on 127.0.0.1 (a free port); yields the `Server`.

    `env` is added to this process's environment (BROEN_DATABASE_URL at least; BROEN_SECRET_KEY defaults
    to a throwaway one). It runs in an empty folder, so no broen.toml of the checkout is read, in a
    process group of its own, which is ended as a whole at the end.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        worker_class,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        app_spec,
    ]
    folder = tempfile.mkdtemp(prefix="broen-serve-")
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BROEN_SECRET_KEY": SECRET,
        "BROEN_CONFIG": "",
        **env,
    }
    process = subprocess.Popen(  # our own server, on loopback
        command, cwd=folder, env=environment, start_new_session=True
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not _answers(port, timeout=5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz: {' '.join(command)}")
            time.sleep(0.1)
        yield Server(process, port)
    finally:
        _stop(process)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (a graceful stop, 5 s at most), then SIGKILL to whatever of the group is left."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# --- a browser -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """One person's browser: cookies, one connection (kept alive when the server allows it), forms with
    their CSRF token. A connection that breaks raises (one of `CONNECTION_ERRORS`) and is opened anew
    for the next request."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self._connection.request(method, path, body=body, headers=sent)
            response = self._connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in value.lower() or "max-age=0" in value.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie
        if response.will_close:
            self.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def csrf_token(self, page: str) -> str:
        answer = self.get(page)
        match = _CSRF.search(answer.text)
        if answer.status != 200 or match is None:
            raise AssertionError(f"no form on {page} ({answer.status})")
        return match.group(1) or match.group(2)

    def post(self, path: str, fields: Mapping[str, str], token: str) -> Answer:
        """POST a form with `token` as its CSRF token (one token serves every form of the session)."""
        body = urlencode({**fields, "csrf_token": token}).encode()
        return self.request(
            "POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def submit(self, path: str, fields: Mapping[str, str], page: str | None = None) -> Answer:
        """GET `page` (default: `path`), take its CSRF token, POST `fields` to `path`."""
        return self.post(path, fields, self.csrf_token(page or path))

    def login(self, email: str, password: str) -> None:
        answer = self.submit("/login", {"email": email, "password": password})
        if answer.status != 302 or urlsplit(answer.header("Location")).path == "/login":
            raise AssertionError(f"{email} could not log in ({answer.status})")
