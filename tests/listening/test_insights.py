"""The listening page's figures: top terms (stop words removed per language), the terms a spike
names, share of voice of the bank against competitors, and what "everything" means."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from listening.connectors import base
from listening.insights import insights
from listening.models import ListeningQuery
from listening.query.services import query_create, query_results_ingest
from listening.services import mentions_ingest
from listening.terms import distinctive_terms, top_terms


def test_top_terms_leave_out_stop_words_of_each_language_and_prefer_bigrams():
    posts = [
        ("I can't log in to the app, it is down again #fail", "en"),
        ("Can't log in since this morning #fail", "en"),
        ("Je ne peux pas me connecter à l'application", "fr"),
        ("Ich kann mich nicht in die App einloggen", "de"),
    ]
    terms, hashtags = top_terms(posts)
    words = {term for term, _ in terms}
    assert ("log in", 2) in terms and "log" not in words  # "log in", not "log" and "in"
    assert not words & {"i", "the", "it", "is", "je", "ne", "pas", "ich", "nicht", "die", "mich"}
    assert {"application", "einloggen", "connecter"} <= words
    assert hashtags == [("#fail", 2)]


def test_a_spike_names_what_is_unusual_against_the_day_before():
    before = [("card declined at the shop again", "en"), ("what are your opening hours", "en")] * 40
    spike = [("is the app down? can't log in", "en"), ("app down, locked out", "en")] * 30 + before[:10]
    terms = distinctive_terms(spike, before, limit=3)
    assert "app down" in terms or "app" in terms
    assert "log in" in terms or "locked out" in terms
    assert not {"card", "declined", "opening hours"} & set(terms)


def _item(external_id, text, kind=base.KIND_MENTION):
    return base.FetchedItem(
        external_id=external_id,
        kind=kind,
        text=text,
        author=base.FetchedAuthor(external_id=f"a-{external_id}", handle=f"person{external_id}"),
        created_at=timezone.now() - dt.timedelta(minutes=5),
        thread_key=external_id,
        raw={},
        lang="en",
    )


@pytest.mark.django_db
def test_share_of_voice_compares_the_bank_with_competitors_and_everything_means_the_bank(
    client, agent, x_account
):
    bank = query_create(actor=None, name="Bank", text="northbridge OR @northbridgebank", kind="brand")
    rival = query_create(actor=None, name="Rival", text="harbourline", kind="competitor")
    query_create(actor=None, name="Fees", text="fee", kind="topic")
    mentions_ingest(
        account=x_account,
        result=base.FetchResult(
            items=[_item(str(n), f"@northbridgebank my transfer {n} is late") for n in range(6)]
        ),
    )
    hits = [_item(f"r{n}", f"Harbourline app is great {n}", base.KIND_SEARCH) for n in range(3)]
    hits.append(_item("both", "Left Northbridge for Harbourline, lower fee", base.KIND_SEARCH))
    query_results_ingest(query=rival, account=x_account, result=base.FetchResult(items=hits))

    everything = insights(None, range_key="24h")
    shares = {row["name"]: (row["n"], row["percent"]) for row in everything.share_of_voice}
    assert shares == {"Bank": (7, 63.6), "Rival": (4, 36.4)}  # a topic query is not a voice
    # Everything said to and about the bank: the rival-only search hits are not.
    assert everything.total == 7
    words = {term for term, _ in everything.terms}
    assert "great" not in words and "left" in words
    assert "northbridge" not in words  # the bank's own name says nothing on its own page
    fees = insights(ListeningQuery.objects.get(name="Fees"), range_key="24h")
    assert fees.total == 1
    assert {term for term, _ in fees.terms} == {"left", "harbourline", "lower"}  # not "fee", not the bank
    assert insights(bank, range_key="24h").total == 7

    client.force_login(agent)
    html = client.get(reverse("listening:index") + "?range=24h").content.decode()
    assert "63.6%" in html and "36.4%" in html
    assert '<span class="dash-figure-label">Share of voice: Bank</span>' in html


def test_the_listening_pages_name_networks_and_figures_as_people_read_them(client, agent):
    bank = query_create(actor=None, name="Bank", text="northbridge", kind="brand", networks=["linkedin", "x"])
    client.force_login(agent)
    index = client.get(reverse("listening:index")).content.decode()
    assert '<td data-label="Networks">LinkedIn, X</td>' in index
    page = client.get(reverse("listening:query", args=[bank.pk])).content.decode()
    assert "The bank · LinkedIn, X · inbox:" in page
    for label in ("Posts, last 7 days", "Negative"):
        assert f'<span class="dash-figure-label">{label}</span>' in page


def test_top_authors_are_named_as_everywhere_else(client, agent, facebook_account):
    comment = base.FetchedItem(
        external_id="fb-1",
        kind=base.KIND_MENTION,
        text="Northbridge, my card is blocked",
        author=base.FetchedAuthor(external_id="fb-person-1", handle="", name="Dev Silva", followers=120),
        created_at=timezone.now() - dt.timedelta(minutes=5),
        thread_key="fb-1",
        raw={},
        lang="en",
    )
    mentions_ingest(account=facebook_account, result=base.FetchResult(items=[comment]))
    client.force_login(agent)
    html = client.get(reverse("listening:index") + "?range=24h").content.decode()
    authors = html.split('id="table-authors"')[1].split("</table>")[0]
    # Facebook gives people no handle: their name, not a lone "@".
    assert '<span class="net net-facebook">Facebook</span> Dev Silva</th>' in authors
