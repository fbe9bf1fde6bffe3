"""gunicorn's access log, run as docs/operations.md says (`--logger-class broen.core.access_log.Logger`), holds no
calendar or invitation token: not in the request line, not in the Referer."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from pathlib import Path

from tests.core.test_cli import broen, clean_env, dev_config
from tests.fixtures.smtp import free_port

TOKEN = "Zq3xVb8_secretTOKENthatMustNotBeLogged-123"


def test_the_access_log_names_the_routes_but_not_the_tokens(tmp_path: Path) -> None:
    config = dev_config(tmp_path)
    assert broen("db", "upgrade", cwd=tmp_path, BROEN_CONFIG=str(config)).returncode == 0
    log, port = tmp_path / "access.log", free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            f"--access-logfile={log}",
            "--logger-class=broen.core.access_log.Logger",
            "broen:create_app()",
        ],
        cwd=tmp_path,
        env=clean_env(BROEN_CONFIG=str(config)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        paths = [
            f"/feeds/{TOKEN}.ics",
            f"/invitation/{TOKEN}",
            f"/invitation/{TOKEN}/use-my-account",
            "/healthz",
        ]
        deadline = time.monotonic() + 30
        for path in paths:
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", path, headers={"Referer": f"http://127.0.0.1/invitation/{TOKEN}"})
                    conn.getresponse().read()
                    conn.close()
                    break
                except ConnectionError:
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = log.read_text(encoding="utf-8")
    assert logged.count("\n") == len(paths), logged
    assert "GET /feeds/[token].ics" in logged and "GET /invitation/[token]/use-my-account" in logged
    assert "GET /healthz" in logged
    assert TOKEN not in logged
