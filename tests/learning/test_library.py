"""The advice library: who manages it, what is refused, the audit trail and review dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from learning.models import AdviceArticle
from learning.services import review_due_notify

pytestmark = pytest.mark.django_db


def form(department, **overrides):
    """Every field the browser sends for the article form (the checkbox only when ticked)."""
    data = {
        "title": "Card declined abroad",
        "url": "https://www.northbridge.example/help/cards/abroad-declined",
        "summary": "Abroad, a card can be declined by a security check: approve it in the app.",
        "topics": "Cards, Travel, cards",
        "department": str(department.pk),
        "review_by": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        "is_active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_lead_adds_an_article_and_it_is_audited(client, lead, departments):
    client.force_login(lead)
    response = client.post(reverse("learning:article_new"), form(departments["Cards"]))
    assert response.status_code == 302
    article = AdviceArticle.objects.get()
    assert article.topics == ["cards", "travel"]
    assert article.created_by == lead
    event = AuditEvent.objects.get(verb="advice.create")
    assert event.actor == lead and event.after["title"] == "Card declined abroad"
    page = client.get(reverse("learning:library")).content.decode()
    assert "Card declined abroad" in page


@pytest.mark.parametrize(
    "url",
    [
        "http://www.northbridge.example/help",
        "javascript:alert(1)",
        "https://",
        "not a link",
        "ftp://x.example/a",
    ],
)
def test_only_https_links_are_kept(client, lead, departments, url):
    client.force_login(lead)
    response = client.post(reverse("learning:article_new"), form(departments["Cards"], url=url))
    assert response.status_code == 422
    assert "https://" in response.content.decode()
    assert not AdviceArticle.objects.exists()
    # The text typed is still in the form.
    assert "Abroad, a card can be declined" in response.content.decode()


def test_bad_input_is_refused_with_a_message(client, lead, departments):
    client.force_login(lead)
    response = client.post(
        reverse("learning:article_new"),
        {**form(departments["Cards"], summary="x" * 601, review_by="31/02/2030"), "department": "999999"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Ensure this value has at most 600 characters" in page
    assert "Enter a valid date" in page
    assert not AdviceArticle.objects.exists()


def test_a_department_lead_manages_only_their_departments_articles(client, cards_lead, departments):
    client.force_login(cards_lead)
    assert client.post(reverse("learning:article_new"), form(departments["Cards"])).status_code == 302
    response = client.post(reverse("learning:article_new"), form(departments["Fraud"], title="Scam texts"))
    assert response.status_code == 422
    assert AdviceArticle.objects.count() == 1
    fraud_article = AdviceArticle.objects.create(
        title="Scam texts",
        url="https://www.northbridge.example/help/scams",
        summary="We never ask for codes.",
        department=departments["Fraud"],
        review_by=timezone.localdate(),
    )
    assert client.get(reverse("learning:article_edit", args=[fraud_article.pk])).status_code == 403


def test_an_edit_keeps_before_and_after(client, lead, departments):
    client.force_login(lead)
    client.post(reverse("learning:article_new"), form(departments["Cards"]))
    article = AdviceArticle.objects.get()
    response = client.post(
        reverse("learning:article_edit", args=[article.pk]),
        form(departments["Payments"], title="Payments declined abroad", is_active=None),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.department, article.is_active) == (
        "Payments declined abroad",
        departments["Payments"],
        False,
    )
    event = AuditEvent.objects.get(verb="advice.update")
    assert event.before["title"] == "Card declined abroad" and event.after["is_active"] is False


@pytest.mark.parametrize("persona", ["agent", "specialist", "manager"])
def test_others_read_the_library_but_cannot_change_it(client, request, library, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse("learning:library")).status_code == 200
    assert client.get(reverse("learning:article_new")).status_code == 403
    article = AdviceArticle.objects.first()
    assert client.post(reverse("learning:article_edit", args=[article.pk]), {}).status_code == 403


def test_an_overdue_article_is_flagged_and_its_leads_told_once(client, lead, cards_lead, library):
    overdue = AdviceArticle.objects.get(title="Forgotten your PIN? View it in the app")
    assert overdue.review_overdue()
    client.force_login(lead)
    page = client.get(reverse("learning:library")).content.decode()
    row = page.split(f'data-entry="article-{overdue.pk}"')[1].split("</tr>")[0]
    assert "Review overdue" in row

    told = review_due_notify()
    assert told == 2  # the PIN article (Cards) and online banking (Fraud, no lead: nobody to tell)
    notes = Notification.objects.filter(verb="advice.review_due")
    assert [n.recipient for n in notes] == [cards_lead]
    assert "Forgotten your PIN" in notes[0].text
    assert review_due_notify() == 0  # once per review date

    # Reviewed, then overdue again: told again.
    AdviceArticle.objects.filter(pk=overdue.pk).update(review_by=timezone.localdate() - dt.timedelta(days=1))
    assert review_due_notify() == 1
    assert Notification.objects.filter(verb="advice.review_due", recipient=cards_lead).count() == 2
