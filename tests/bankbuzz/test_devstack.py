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


def test_manage_runs_a_management_command_against_the_configured_servers():
    # DEBUG comes from `make manage` as from `make run`: no secrets needed on a developer's machine.
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-m", "bankbuzz.devstack", "manage", "--", "check"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert devstack("manage").returncode == 2


# Starts the embedded server the way `run` does, migrates as `run` does, then reports what each
# role may do. In a child process, as `make run` is, so the server's exit handlers run there.
RUN_ROLES = """
import json, shutil, sys, tempfile
from pathlib import Path
import psycopg2
from bankbuzz.devstack import Services, manage

var_dir = Path(tempfile.mkdtemp(prefix="bb-"))  # short: a Unix socket path has a length limit
report = {}
try:
    with Services(var_dir, database="bankbuzz", app_role=True) as env:
        manage("migrate", "--noinput", "-v0", env={**__import__("os").environ, **env})
        report["url"] = env["DATABASE_URL"].split("@")[0]
        report["owner_url"] = env["DATABASE_OWNER_URL"].split("@")[0]
        app = psycopg2.connect(env["DATABASE_URL"])
        app.autocommit = True
        with app.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user")
            report["app_flags"] = cursor.fetchone()
            cursor.execute(
                "INSERT INTO audit_auditevent (at, actor_label, verb, object_type, object_id, object_repr)"
                " VALUES (now(), 'system', 'check', '', '', '') RETURNING seq"
            )
            report["insert"] = "ok"
            for statement in ("TRUNCATE audit_auditevent", "DELETE FROM audit_auditevent",
                              "CREATE TABLE shadow (id int)", "DROP TABLE audit_auditevent"):
                try:
                    cursor.execute(statement)
                    report[statement] = "allowed"
                except psycopg2.Error as exc:
                    report[statement] = exc.pgcode
        app.close()
finally:
    shutil.rmtree(var_dir, ignore_errors=True)
print(json.dumps(report))
"""


def test_run_creates_the_app_role_migrates_as_the_owner_and_runs_as_the_app_role():
    """`make run`: the embedded server gets the application's role, which cannot wipe or alter."""
    import json

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    result = subprocess.run(
        [sys.executable, "-c", RUN_ROLES], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["url"] == "postgres://bankbuzz_app"
    assert report["owner_url"] == "postgres://postgres"
    assert report["app_flags"] == [False, False]
    assert report["insert"] == "ok"
    insufficient_privilege = "42501"
    assert report["TRUNCATE audit_auditevent"] == insufficient_privilege
    assert report["DELETE FROM audit_auditevent"] == insufficient_privilege
    assert report["CREATE TABLE shadow (id int)"] == insufficient_privilege
    assert report["DROP TABLE audit_auditevent"] == insufficient_privilege


def test_logins_prints_the_banner_of_the_last_run_again(tmp_path, monkeypatch, capsys):
    from bankbuzz import devstack as stack

    monkeypatch.setattr(stack, "LOGINS_FILE", tmp_path / "logins.txt")
    assert stack.main(["logins"]) == 2
    assert "no logins yet: `make run` creates the demo logins" in capsys.readouterr().err

    (tmp_path / "logins.txt").write_text(
        stack.banner("http://127.0.0.1:8000", "  agent / demo-pass\n") + "\n"
    )
    assert stack.main(["logins"]) == 0
    shown = capsys.readouterr().out
    assert "BankBuzz is running at http://127.0.0.1:8000/" in shown
    assert "agent / demo-pass" in shown
    assert "`make logins` prints this again" in shown


def test_the_banner_comes_after_the_start_up_lines_and_probes_without_a_503(capsys):
    """The probe asks /healthz/live (never the full /healthz, a 503 while the worker starts)."""
    import http.server
    import threading
    import time

    from bankbuzz import devstack as stack

    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200 if self.path == "/healthz/live" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    class Lines:
        def __init__(self):
            self.written = []

        def write(self, message):
            self.written.append(message)

    printer = stack.QuietWatchPrinter(Lines())
    announcer = threading.Thread(
        target=stack.announce_when_ready, args=(url, "THE BANNER", printer), kwargs={"quiet": 1}
    )
    announcer.start()
    # A process still printing its start-up lines holds the banner back.
    for _ in range(6):
        printer.write("worker starting")
        time.sleep(0.3)
        assert "THE BANNER" not in capsys.readouterr().out
    announcer.join(40)
    server.shutdown()
    assert "THE BANNER" in capsys.readouterr().out
    assert set(asked) == {"/healthz/live"}


def test_ctrl_c_while_run_sets_up_exits_0():
    """Ctrl-C is how `make run` stops: exit 0, so make prints no `Error 130`."""
    import signal
    import time

    # Two ports the kernel hands out while both are held, so neither can be the other's
    # neighbour that some other process already uses.
    with socket.socket() as web_probe, socket.socket() as sandbox_probe:
        web_probe.bind(("127.0.0.1", 0))
        sandbox_probe.bind(("127.0.0.1", 0))
        port = web_probe.getsockname()[1]
        sandbox_port = sandbox_probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bankbuzz.devstack", "run"],
        env={**os.environ, "PORT": str(port), "SANDBOX_PORT": str(sandbox_port)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    first = process.stdout.readline()
    if not first:
        _, err = process.communicate(timeout=120)
        raise AssertionError(f"`run` ended before setting up (exit {process.returncode}): {err}")
    assert "applying migrations" in first
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Error" not in err and "Traceback" not in err
