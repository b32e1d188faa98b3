"""The retention, legal-hold and erasure pages, as compliance officers and administrators use them."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent, ErasureRequest, LegalHold, RetentionPolicy
from tests.compliance.conftest import conversation, hit
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db


def test_compliance_reads_the_retention_settings_and_only_an_administrator_changes_them(
    client, compliance, administrator
):
    client.force_login(compliance)
    html = client.get(reverse("audit:retention")).content.decode()
    assert "Conversations the bank answered" in html and "2557 days" in html and "7 years" in html
    assert "Anonymised" in html and "Listening hits never acted on" in html
    assert 'name="days"' not in html, "no form for a compliance officer"
    denied = client.post(reverse("audit:retention"), {"kind": "inbox.unactioned_hits", "days": 60})
    assert denied.status_code == 403
    assert not RetentionPolicy.objects.exists()

    client.force_login(administrator)
    response = client.post(
        reverse("audit:retention"), {"kind": "inbox.unactioned_hits", "days": 60}, follow=True
    )
    assert "Listening hits never acted on: deleted after 60 days." in response.content.decode()
    assert RetentionPolicy.objects.get(kind="inbox.unactioned_hits").days == 60
    refused = client.post(
        reverse("audit:retention"), {"kind": "inbox.answered_conversations", "days": 100}, follow=True
    )
    assert "Not saved" in refused.content.decode() and "at least 2557 days" in refused.content.decode()
    assert AuditEvent.objects.filter(verb="retention.policy_set").count() == 1


def test_placing_and_lifting_a_hold_from_the_pages(client, compliance):
    conv = conversation(days=5)
    client.force_login(compliance)
    form = client.get(reverse("audit:hold_new") + f"?target=conversation&ref={conv.pk}").content.decode()
    assert f'value="{conv.pk}"' in form
    response = client.post(
        reverse("audit:hold_new"),
        {"target": "conversation", "reference": str(conv.pk), "reason": "Complaint 881 <b>open</b>"},
        follow=True,
    )
    html = response.content.decode()
    hold = LegalHold.objects.get()
    assert f"Legal hold {hold.pk} placed on Conversation {conv.pk}" in html
    assert "Complaint 881 &lt;b&gt;open&lt;/b&gt;" in html
    again = client.post(
        reverse("audit:hold_new"), {"target": "conversation", "reference": str(conv.pk), "reason": "x"}
    )
    assert again.status_code == 422 and "already under a legal hold" in again.content.decode()
    missing = client.post(
        reverse("audit:hold_new"), {"target": "author", "reference": "x:nobody", "reason": "x"}
    )
    assert missing.status_code == 422 and "No person matches" in missing.content.decode()

    no_reason = client.post(reverse("audit:hold_lift", args=[hold.pk]), {"reason": ""}, follow=True)
    assert "give the reason" in no_reason.content.decode()
    client.post(reverse("audit:hold_lift", args=[hold.pk]), {"reason": "Settled"})
    hold.refresh_from_db()
    assert hold.lifted_by == compliance and hold.lift_reason == "Settled"
    verbs = list(AuditEvent.objects.filter(object_type="audit.legalhold").values_list("verb", flat=True))
    assert sorted(verbs) == ["legal_hold.lift", "legal_hold.place"]


def test_an_erasure_request_from_the_page_shows_and_downloads_its_report(client, compliance):
    jane = AuthorFactory(handle="jane_doe")
    hit(jane, days=1)
    client.force_login(compliance)
    # The network list says what to do with it, not a dash.
    assert (
        '<option value="" selected>Choose a network</option>'
        in client.get(reverse("audit:erasure_new")).content.decode()
    )
    assert client.post(reverse("audit:erasure_new"), {"network": "x"}).status_code == 422
    response = client.post(
        reverse("audit:erasure_new"),
        {"network": "x", "handle": "@jane_doe", "reference": "DSR-7"},
        follow=True,
    )
    request = ErasureRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("audit:erasure", args=[request.pk])
    html = response.content.decode()
    assert "Erasure request" in html and "DSR-7" in html
    assert f"jane_doe on X (person {jane.pk})</dd>" in html, "the network by its name, not its code"
    assert f"listening.author:{jane.pk}" in html and "Kept, and why" in html
    listing = client.get(reverse("audit:erasures")).content.decode()
    assert "DSR-7" in listing

    download = client.get(reverse("audit:erasure_download", args=[request.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="bankbuzz-erasure-{request.pk}.json"'
    report = json.loads(download.content)
    assert report["reference"] == "DSR-7" and report["requested_by"] == "chris"
    assert any(item["object"] == f"listening.author:{jane.pk}" for item in report["anonymised"])
    assert "jane_doe" not in download.content.decode()


@pytest.mark.parametrize("url", ["audit:retention", "audit:holds", "audit:erasures", "audit:erasure_new"])
def test_agents_and_managers_are_refused(client, agent, manager, url):
    for person in (agent, manager):
        client.force_login(person)
        assert client.get(reverse(url)).status_code == 403
    client.force_login(agent)
    assert client.post(reverse("audit:erasure_new"), {"network": "x", "handle": "someone"}).status_code == 403
    assert not ErasureRequest.objects.exists()
