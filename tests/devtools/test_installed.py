"""The development tools (devtools) are installed under DEBUG only, or when BANKBUZZ_DEVTOOLS asks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.core.management import get_commands

from devtools.sandbox.world import DEMO_TOKEN
from listening.services import sandbox_token
from tests.bankbuzz.test_settings import GOOD_PRODUCTION

PROBE = (
    "from django.conf import settings; from django.core.management import get_commands; "
    "print('devtools' in settings.INSTALLED_APPS, 'demo_seed' in get_commands())"
)


def _installed(**overrides: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in GOOD_PRODUCTION}
    env.pop("BANKBUZZ_DEVTOOLS", None)
    env.update(GOOD_PRODUCTION, **overrides)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_settings_never_install_them():
    assert _installed() == "False False"


@pytest.mark.parametrize("overrides", [{"BANKBUZZ_DEVTOOLS": "1"}, {"DEBUG": "1"}])
def test_debug_or_the_setting_installs_them(overrides):
    assert _installed(**overrides) == "True True"


def test_debug_with_the_setting_off_leaves_them_out():
    assert _installed(DEBUG="1", BANKBUZZ_DEVTOOLS="0") == "False False"


def test_installed_they_register_the_sandbox_token_with_listening():
    assert apps.is_installed("devtools")
    assert "demo_seed" in get_commands()
    assert sandbox_token() == DEMO_TOKEN
