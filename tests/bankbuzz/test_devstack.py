"""`make run` / `make test` explain what is wrong instead of printing a traceback."""

import os
import socket
import subprocess
import sys


def devstack(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bankbuzz.devstack", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_database_is_named():
    result = devstack("exec", "--", "true", DATABASE_URL="postgres://postgres@127.0.0.1:1/bankbuzz")
    assert result.returncode == 2
    assert "cannot connect to PostgreSQL at 127.0.0.1:1 (DATABASE_URL)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dead_redis_is_named():
    result = devstack("exec", "--", "true", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert "cannot reach Redis at 127.0.0.1:1 (REDIS_URL)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_named():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = devstack("run", PORT=str(port))
    assert result.returncode == 2
    assert f"port {port} for the web server is already taken" in result.stderr
    assert "PORT=" in result.stderr


def test_exec_passes_the_commands_exit_code_through():
    assert devstack("exec", "--", "sh", "-c", "exit 3").returncode == 3
