"""The enrich() entry point, its configuration, and the batch helper."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from listening.enrichment import Enrichment, EnrichmentConfig, enrich, enrich_batch, warm_up
from listening.enrichment.priority import DEFAULT_PRIORITY_PHRASES

BANK = EnrichmentConfig(languages=("en", "es", "fr", "de", "nl"))


def test_enrich_a_post_with_personal_data():
    text = "@BankBuzz someone used my card 4111 1111 1111 1111, this is fraud! Call me on 07700 900123"
    result = enrich(text, config=BANK)
    assert result.language == "en"
    assert result.sentiment_label == "negative"
    assert result.sentiment_score < 0
    assert result.has_pii
    assert [(f.kind, text[f.start : f.end]) for f in result.pii] == [
        ("card", "4111 1111 1111 1111"),
        ("phone", "07700 900123"),
    ]
    assert result.priority_hint == "urgent"
    assert result.priority_phrase == "fraud"
    assert result.intent == "fraud"  # someone else used the card: fraud, not a general complaint
    assert not result.is_spam
    assert result.spam_reason == ""


def test_enrich_thanks():
    result = enrich("Cheers @BankBuzz, all sorted now. Brilliant help from the cards team!", config=BANK)
    assert result.intent == "thanks"
    assert result.sentiment_label == "positive"
    assert result.priority_hint == "normal"
    assert result.priority_phrase == ""
    assert not result.has_pii


def test_enrich_spam():
    result = enrich("Free BTC giveaway! Send 0.1 BTC and receive 0.2 back", config=BANK)
    assert result.is_spam
    assert result.spam_reason == "crypto giveaway"


def test_network_language_hint_wins():
    assert enrich("my card was declined at the shop today", lang_hint="fr", config=BANK).language == "fr"
    assert enrich("mi tarjeta no funciona desde ayer", lang_hint="und", config=BANK).language == "es"


def test_invalid_checksum_still_counts_as_personal_data():
    result = enrich("my card is 4111 1111 1111 1112", config=BANK)
    assert result.has_pii
    assert result.pii[0].valid is False


def test_empty_text():
    result = enrich("", config=BANK)
    assert result == Enrichment(
        language="",
        sentiment_score=0.0,
        sentiment_label="neutral",
        pii=[],
        has_pii=False,
        priority_hint="normal",
        priority_phrase="",
        intent="other",
        is_spam=False,
        spam_reason="",
    )


def test_to_dict_is_json_serialisable():
    result = enrich("card 4111 1111 1111 1111 stolen card", config=BANK)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["pii"][0] == {
        "kind": "card",
        "start": 5,
        "end": 24,
        "valid": True,
        "preview": "•••• •••• •••• 1111",
    }
    assert data["priority_hint"] == "urgent"


def test_account_patterns_from_config():
    config = EnrichmentConfig(account_patterns=(r"\bACC-\d{8}\b",))
    result = enrich("my account ACC-12345678 is blocked", config=config)
    assert [(f.kind, f.preview) for f in result.pii] == [("account", "•••-••••5678")]


def test_public_contacts_from_config():
    config = EnrichmentConfig(public_contacts=("0345 300 0000",))
    assert not enrich("Call us on +44 345 300 0000 any time", config=config).has_pii
    assert enrich("Call us on +44 345 300 0000 any time", config=BANK).has_pii


def test_enrich_batch_keeps_order_and_accepts_bare_texts():
    results = enrich_batch(
        [("mi tarjeta no funciona desde ayer", ""), "thanks so much for the help!", ("hello there", "en")],
        BANK,
    )
    assert [r.language for r in results] == ["es", "en", "en"]
    assert results[1].intent == "thanks"
    assert enrich_batch([], BANK) == []


def test_config_defaults_and_normalisation():
    config = EnrichmentConfig()
    assert config.languages == ("en", "fr", "de", "es", "it", "nl", "pl", "pt")
    assert config.account_patterns == ()
    assert config.phrase_table == {k: tuple(v) for k, v in DEFAULT_PRIORITY_PHRASES.items()}
    # Lists and mappings are accepted and stored as hashable tuples.
    config = EnrichmentConfig(
        languages=["EN", "es-ES"],  # type: ignore[arg-type]
        account_patterns=[r"\d{8}"],  # type: ignore[arg-type]
        priority_phrases={"urgent": ["fraud"]},  # type: ignore[arg-type]
    )
    assert config.languages == ("en", "es")
    assert config.account_patterns == (r"\d{8}",)
    assert config.phrase_table["urgent"] == ("fraud",)
    assert config.phrase_table["high"] == DEFAULT_PRIORITY_PHRASES["high"]
    hash(config)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"languages": ("en", "klingon")}, ValueError),
        ({"account_patterns": ("([unclosed",)}, re.error),
        ({"priority_phrases": {"critical": ["x"]}}, ValueError),
        ({"priority_phrases": {"urgent": "fraud"}}, ValueError),
    ],
)
def test_bad_config_fails_when_built(kwargs, error):
    with pytest.raises(error):
        EnrichmentConfig(**kwargs)


def test_from_settings_reads_optional_settings(monkeypatch):
    import django.conf

    fake = SimpleNamespace(
        BANK_LANGUAGES=["es", "fr"],
        PII_ACCOUNT_PATTERNS=[r"\bACC-\d{8}\b"],
        PRIORITY_PHRASES={"urgent": ["mortgage offer withdrawn"]},
        BANK_PUBLIC_CONTACTS=["0345 300 0000"],
    )
    monkeypatch.setattr(django.conf, "settings", fake)
    config = EnrichmentConfig.from_settings()
    assert config.languages == ("en", "es", "fr")
    assert config.account_patterns == (r"\bACC-\d{8}\b",)
    assert config.phrase_table["urgent"] == ("mortgage offer withdrawn",)
    assert config.phrase_table["high"] == DEFAULT_PRIORITY_PHRASES["high"]
    assert config.public_contacts == ("0345 300 0000",)


def test_from_settings_without_any_setting(monkeypatch):
    import django.conf

    monkeypatch.setattr(django.conf, "settings", SimpleNamespace())
    assert EnrichmentConfig.from_settings() == EnrichmentConfig()


def test_importing_enrichment_does_not_import_django():
    code = (
        "import sys, listening.enrichment, listening.enrichment.pii, listening.enrichment.language;"
        "print('django' in sys.modules)"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.strip() == "False"


def test_warm_up_runs():
    warm_up(BANK)
    warm_up()
