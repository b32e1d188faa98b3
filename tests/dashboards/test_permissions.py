"""Who sees which figures: every role, on the dashboard, the rows and the exports."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bankbuzz.accounts import roles
from tests.conftest import make_person

WEEK = {"from": "2026-03-02", "to": "2026-03-08", "range": "custom"}


def _get(client, user, name="dashboards:index", params=None, args=()):
    client.force_login(user)
    return client.get(reverse(name, args=args), {**WEEK, **(params or {})})


@pytest.mark.parametrize("persona", ["manager", "lead", "compliance", "administrator"])
def test_readers_see_everything(client, world, persona, request):
    html = _get(client, request.getfixturevalue(persona)).content.decode()
    assert "By agent" in html and "Volume and sentiment" in html and "Escalations: experts" in html


def test_outsider_is_refused(client, world, outsider):
    assert _get(client, outsider).status_code == 403
    assert _get(client, outsider, "dashboards:rows", {"metric": "conversations"}).status_code == 403
    assert _get(client, outsider, "dashboards:export", args=["response_daily"]).status_code == 403


def test_anonymous_goes_to_login(client, world):
    response = client.get(reverse("dashboards:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_agent_sees_own_figures_only(client, world):
    html = _get(client, world.ben).content.decode()
    assert "your own figures" in html
    assert "By agent" not in html and "Volume and sentiment" not in html
    # Asking for someone else's rows still lists only the agent's own.
    response = _get(
        client, world.ben, "dashboards:rows", {"metric": "conversations", "agent": world.agent.pk}
    )
    ids = {int(i) for i in re.findall(r'data-row-id="(\d+)"', response.content.decode())}
    assert ids == {world.c["c3"].pk, world.c["c4"].pk}
    rows = _get(client, world.ben, "dashboards:rows", {"metric": "mentions"}).content.decode()
    assert set(re.findall(r'data-row-id="(\d+)"', rows)) == {str(world.m["m3"].pk)}


def test_agent_cannot_export_team_tables(client, world):
    assert _get(client, world.ben, "dashboards:export", args=["response_agent"]).status_code == 404


def test_specialist_sees_their_departments_escalations_only(client, world):
    html = _get(client, world.carla).content.decode()
    assert "your departments" in html
    assert "Response times: conversations" not in html and "Fraud" not in html.split("Escalations now")[0]
    response = _get(client, world.carla, "dashboards:rows", {"metric": "escalations"})
    ids = {int(i) for i in re.findall(r'data-row-id="(\d+)"', response.content.decode())}
    assert ids == {world.e["e1"].pk, world.e["e2"].pk, world.e["e3"].pk}
    # Another department in the URL is ignored, not obeyed.
    response = _get(
        client, world.carla, "dashboards:rows", {"metric": "escalations", "department": world.fraud.pk}
    )
    assert len(re.findall(r'data-row-id="(\d+)"', response.content.decode())) == 3
    conversations = _get(client, world.carla, "dashboards:rows", {"metric": "conversations"}).content.decode()
    assert "data-row-id" not in conversations


def test_specialist_without_department_is_refused(client, world):
    loner = make_person("lonely", roles.SPECIALIST)
    assert _get(client, loner).status_code == 403
