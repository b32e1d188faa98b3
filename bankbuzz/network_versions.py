"""The API versions the connectors speak, and when the networks stop serving them.

Graph (Facebook and Instagram) and LinkedIn retire versions on published dates; a version
past its date fails every call. The defaults below are current; the settings
GRAPH_API_VERSION and LINKEDIN_API_VERSION override them. The table holds the published
end-of-life dates, so the accounts page and /healthz can warn WARN_BEFORE ahead, and a test
fails once a default is past its date.

Sources (December 2026): developers.facebook.com/docs/graph-api/changelog/versions and
learn.microsoft.com/linkedin/marketing/integrations/migrations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_GRAPH_VERSION = "v25.0"
DEFAULT_LINKEDIN_VERSION = "202603"
WARN_BEFORE = dt.timedelta(days=60)

GRAPH_END_OF_LIFE: dict[str, dt.date] = {
    "v19.0": dt.date(2026, 5, 21),
    "v20.0": dt.date(2026, 9, 24),
    "v21.0": dt.date(2027, 1, 21),
    "v22.0": dt.date(2027, 5, 20),
    "v23.0": dt.date(2027, 10, 8),
    "v24.0": dt.date(2028, 2, 18),
    "v25.0": dt.date(2028, 7, 29),
}

LINKEDIN_END_OF_LIFE: dict[str, dt.date] = {
    "202510": dt.date(2026, 10, 15),
    "202511": dt.date(2026, 11, 16),
    "202601": dt.date(2027, 1, 15),
    "202602": dt.date(2027, 2, 15),
    "202603": dt.date(2027, 3, 16),
}

# Which table applies to which network's configured version.
API_FAMILY = {"facebook": "graph", "instagram": "graph", "linkedin": "linkedin"}


def graph_version() -> str:
    from django.conf import settings

    return str(getattr(settings, "GRAPH_API_VERSION", "") or DEFAULT_GRAPH_VERSION)


def linkedin_version() -> str:
    from django.conf import settings

    return str(getattr(settings, "LINKEDIN_API_VERSION", "") or DEFAULT_LINKEDIN_VERSION)


@dataclass(frozen=True)
class VersionStatus:
    api: str  # "Graph API" or "LinkedIn API"
    version: str
    end_of_life: dt.date | None  # None: no date published (a newer version) or not in the table
    warning: str  # "" when nothing to do

    @property
    def expired(self) -> bool:
        return self.end_of_life is not None and self.warning.startswith("expired")


def version_status(api: str, version: str, *, today: dt.date | None = None) -> VersionStatus:
    """Whether `version` of `api` ("graph" or "linkedin") is near or past its end of life."""
    today = today or dt.datetime.now(dt.UTC).date()
    table, label = (
        (GRAPH_END_OF_LIFE, "Graph API") if api == "graph" else (LINKEDIN_END_OF_LIFE, "LinkedIn API")
    )
    end = table.get(version)
    if end is None:
        return VersionStatus(label, version, None, "")
    if end <= today:
        return VersionStatus(
            label, version, end, f"expired: {label} {version} stopped working on {end:%d %b %Y}"
        )
    if end - today <= WARN_BEFORE:
        return VersionStatus(
            label,
            version,
            end,
            f"{label} {version} stops working on {end:%d %b %Y}: upgrade the version setting",
        )
    return VersionStatus(label, version, end, "")


def configured_versions(*, today: dt.date | None = None) -> list[VersionStatus]:
    """The versions configured now, Graph first."""
    return [
        version_status("graph", graph_version(), today=today),
        version_status("linkedin", linkedin_version(), today=today),
    ]


def network_version(network: str, *, today: dt.date | None = None) -> VersionStatus | None:
    """The configured API version of `network`'s connector, or None (X's v2 is not dated)."""
    family = API_FAMILY.get(network)
    if family == "graph":
        return version_status("graph", graph_version(), today=today)
    if family == "linkedin":
        return version_status("linkedin", linkedin_version(), today=today)
    return None
