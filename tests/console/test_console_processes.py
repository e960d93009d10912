"""`wuye console-password` and `wuye web` run as an operator runs them: real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import EXAMPLE_COMMUNITY

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3", "COMMUNITY_FILE": str(EXAMPLE_COMMUNITY),
            "MEDIA_DIR": str(tmp_path / "media"), **extra}


def wuye(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, input=stdin,
                          env=_env(tmp_path), cwd=tmp_path, timeout=120)


def test_the_operator_sets_a_password_and_the_console_serves_its_sign_in_page(tmp_path: Path) -> None:
    assert wuye(tmp_path, "load", str(EXAMPLE_COMMUNITY)).returncode == 0
    short = wuye(tmp_path, "console-password", "gc03", "--password", "short")
    assert short.returncode == 1 and "至少 10 位" in short.stderr
    unknown = wuye(tmp_path, "console-password", "nobody", "--password", "a long enough one")
    assert unknown.returncode == 1 and "no active staff member" in unknown.stderr
    done = wuye(tmp_path, "console-password", "gc03", stdin="correct horse battery\ncorrect horse battery\n")
    assert done.returncode == 0 and "console password set for gc03" in done.stdout
    assert "correct horse" not in done.stdout + done.stderr

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bot", "web"], env=_env(tmp_path, WEB_PORT=str(port)),
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    page = response.read().decode()
                    cookies = response.headers.get_all("Set-Cookie") or []
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.3)
        assert "员工登录" in page
        login = next(c for c in cookies if c.startswith("wuye_login="))
        assert "HttpOnly" in login and "SameSite=Strict" in login and "Secure" in login
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "Traceback" not in err
