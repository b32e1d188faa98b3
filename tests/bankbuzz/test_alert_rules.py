"""The alert rules in deploy/prometheus/alerts.yml: valid for Prometheus (promtool), doing what
alerts.test.yml says (promtool's unit tests, among them the oldest queued reply paging during a
broker outage), and naming only metrics that /metrics exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
# PromQL words that are not metric names.
KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: scripts/ensure-promtool.sh installs it (Debian's prometheus package)"
    return found


def rules() -> list[dict]:
    groups = yaml.safe_load((RULES / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: identifiers that are not functions, keywords,
    label matchers, grouping labels, durations or strings."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range durations
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\boffset\s+\S+", "", expr)
    names = set()
    for match in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", expr):
        following = expr[match.end() :].lstrip()
        if following.startswith("(") or match.group() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def test_promtool_finds_the_rules_valid():
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES / "alerts.yml")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_fire_as_their_unit_tests_say():
    result = subprocess.run(
        [promtool(), "test", "rules", str(RULES / "alerts.test.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_reading_metric_names_from_expressions():
    expr = 'max by (le, view) (rate(bankbuzz_x_bucket{state="a b"}[5m])) > 3 * on(queue) bankbuzz_y offset 5m'
    assert metric_names(expr) == {"bankbuzz_x_bucket", "bankbuzz_y"}


@pytest.mark.django_db
def test_every_metric_an_alert_reads_is_exported(client, settings):
    settings.METRICS_TOKEN = "alert-rules-test-token"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer alert-rules-test-token")
    assert response.status_code == 200
    exported = set()
    for family in text_string_to_metric_families(response.content.decode()):
        exported.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    read = {rule["alert"]: metric_names(rule["expr"]) for rule in rules()}
    unknown = {alert: sorted(names - exported) for alert, names in read.items() if names - exported}
    assert not unknown, f"alerts read metrics /metrics does not export: {unknown}"
    assert all(read.values()), "every alert reads at least one metric"


def test_an_alert_watches_the_oldest_queued_reply():
    queued = [
        rule
        for rule in rules()
        if "bankbuzz_reply_oldest_age_seconds" in rule["expr"] and 'state="queued"' in rule["expr"]
    ]
    assert queued and queued[0]["labels"]["severity"] == "page"
