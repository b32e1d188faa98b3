"""Shared fixtures: personas, the sandbox, a real Celery worker."""

from __future__ import annotations

import pytest

from bankbuzz.accounts import roles
from bankbuzz.accounts.services import user_set_role
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Passwords set in the tests are hashed with MD5: the production hasher costs about half a
    second a person on this machine, and most tests make two to eight people. Hashes made by
    the production hasher (a subprocess's demo seed) are still recognised: it stays in the list.
    """
    from django.conf import settings
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=[FAST_HASHER, *settings.PASSWORD_HASHERS]):
        yield


def make_person(username: str, role: str | None, **fields):
    user = UserFactory(username=username, **fields)
    if role:
        user_set_role(actor=None, user=user, role=role)
    return user


@pytest.fixture
def agent(db):
    return make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")


@pytest.fixture
def other_agent(db):
    return make_person("ben", roles.AGENT, first_name="Ben", last_name="Okafor")


@pytest.fixture
def lead(db):
    return make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")


@pytest.fixture
def specialist(db):
    return make_person("sam", roles.SPECIALIST, first_name="Sam", last_name="Patel")


@pytest.fixture
def manager(db):
    return make_person("maria", roles.MANAGER)


@pytest.fixture
def compliance(db):
    return make_person("chris", roles.COMPLIANCE)


@pytest.fixture
def administrator(db):
    return make_person("ada", roles.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but with no role at all."""
    return make_person("olly", None)


@pytest.fixture
def client():
    """Django's test client; `force_login` also passes the second factor (every user needs one)."""
    from tests.security.auth import VerifiedClient

    return VerifiedClient()


# --- The sandbox ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_server():
    from devtools.sandbox.server import SandboxServer

    server = SandboxServer(port=0, rate=0.0, seed=7).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """A clean sandbox, with the settings pointing every network at it."""
    from devtools.sandbox.testing import SandboxControl

    client = SandboxControl(sandbox_server.url)
    client.reset()
    client.clear_scenarios()
    settings.X_API_BASE_URL = f"{sandbox_server.url}/x"
    settings.GRAPH_API_BASE_URL = f"{sandbox_server.url}/graph"
    settings.LINKEDIN_API_BASE_URL = f"{sandbox_server.url}/linkedin"
    settings.INSTAGRAM_API_BASE_URL = f"{sandbox_server.url}/instagram"
    settings.NETWORK_HTTP_TIMEOUT = 3
    return client


@pytest.fixture
def x_account(db):
    """The demo bank's X account, connected to the sandbox."""
    from devtools.sandbox import world
    from listening.services import social_account_create

    return social_account_create(
        actor=None,
        network="x",
        external_id=world.BANK_X["user_id"],
        handle=world.BANK_X["handle"],
        name=world.BANK_X["name"],
        credentials=world.DEMO_CREDENTIALS["x"],
    )


def _demo_account(network: str, *, external_id: str, handle: str, name: str):
    from devtools.sandbox import world
    from listening.services import social_account_create

    return social_account_create(
        actor=None,
        network=network,
        external_id=external_id,
        handle=handle,
        name=name,
        credentials=world.DEMO_CREDENTIALS[network],
    )


@pytest.fixture
def facebook_account(db):
    """The demo bank's Facebook Page, connected to the sandbox."""
    from devtools.sandbox.world import BANK_FACEBOOK_PAGE as page

    return _demo_account("facebook", external_id=page["page_id"], handle=page["username"], name=page["name"])


@pytest.fixture
def linkedin_account(db):
    """The demo bank's LinkedIn organisation, connected to the sandbox."""
    from devtools.sandbox.world import BANK_LINKEDIN_ORG as org

    return _demo_account("linkedin", external_id=org["urn"], handle=org["vanity_name"], name=org["name"])


@pytest.fixture
def instagram_account(db):
    """The demo bank's Instagram professional account, connected to the sandbox."""
    from devtools.sandbox.world import BANK_INSTAGRAM as account

    return _demo_account(
        "instagram", external_id=account["user_id"], handle=account["username"], name=account["name"]
    )


# --- A real Celery worker ---------------------------------------------------------------


class WorkerProcess:
    def __init__(self, process, queue: str, log_path):
        self.process = process
        self.queue = queue
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, sandbox_server, tmp_path_factory):
    """A real `celery worker` process on the test database and a queue of its own."""
    import os
    import subprocess
    import sys
    import time
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    from bankbuzz.celery import app

    queue = f"bankbuzz-test-{uuid.uuid4().hex[:8]}"
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db_url = urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))
    env = {
        **os.environ,
        "DATABASE_URL": test_db_url,
        "DEBUG": "1",
        "X_API_BASE_URL": f"{sandbox_server.url}/x",
        "GRAPH_API_BASE_URL": f"{sandbox_server.url}/graph",
        "LINKEDIN_API_BASE_URL": f"{sandbox_server.url}/linkedin",
        "INSTAGRAM_API_BASE_URL": f"{sandbox_server.url}/instagram",
        "NETWORK_HTTP_TIMEOUT": "3",
        "CELERY_QUEUE": queue,
    }
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bankbuzz", "worker", "-Q", queue, "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = WorkerProcess(process, queue, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{worker.log()}")
        if app.control.ping(destination=None, timeout=0.5) and "ready" in worker.log():
            break
    else:
        process.kill()
        pytest.fail(f"the Celery worker did not become ready:\n{worker.log()}")
    yield worker
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    log_file.close()
