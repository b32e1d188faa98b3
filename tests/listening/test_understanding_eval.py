"""The labels on the held-out set stay at or above the floors committed in thresholds.json."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from listening.enrichment import evaluate

LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pl", "pt")


@pytest.fixture(scope="module")
def report():
    return evaluate.evaluate()


def test_heldout_metrics_meet_the_committed_floors(report):
    assert len(report.rows) >= 190
    assert evaluate.failures(report.metrics) == []


def test_the_floors_of_the_met_targets_are_the_targets():
    floors = json.loads(evaluate.THRESHOLDS.read_text(encoding="utf-8"))["floors"]
    for name in ("sentiment_macro_f1", "needs_reply_f1", "language_accuracy_20_chars"):
        assert floors[name] >= evaluate.TARGETS[name], name


def test_the_report_gives_each_part_of_the_heldout_set(report):
    by_part = evaluate.parts(report)
    assert list(by_part) == ["stories 1-16", "stories 17-24"]
    assert set(by_part["stories 17-24"]) == set(report.metrics)
    summary = evaluate.summary(report)
    assert "| stories 1-16 | stories 17-24 |" in summary


def test_every_heldout_story_is_told_in_all_eight_languages():
    rows = evaluate.load()
    stories = {lang: Counter() for lang in LANGUAGES}
    for row in rows:
        stories[row["language"]][(row["id"].rsplit("-", 1)[1], row["intent"], row["sentiment"])] += 1
    assert all(stories[lang] == stories["en"] for lang in LANGUAGES)
    assert len(stories["en"]) == 24
    assert {intent for _, intent, _ in stories["en"]} == set(evaluate.INTENTS)


def test_a_metric_below_its_floor_is_reported():
    assert evaluate.failures({"fraud_recall": 0.5}, {"fraud_recall": 0.9}) == [
        "fraud_recall = 0.500 is below its floor 0.900"
    ]


def test_heldout_and_training_files_do_not_share_a_message():
    def texts(name):
        path = evaluate.FIXTURES / name
        return {json.loads(line)["text"].casefold() for line in path.read_text(encoding="utf-8").splitlines()}

    assert not texts("heldout.jsonl") & texts("train.jsonl")


def test_every_language_has_enough_messages():
    rows = [
        json.loads(line)
        for name in ("train.jsonl", "heldout.jsonl")
        for line in (evaluate.FIXTURES / name).read_text(encoding="utf-8").splitlines()
    ]
    counts = {
        lang: sum(row["language"] == lang for row in rows)
        for lang in ("en", "fr", "de", "es", "it", "nl", "pl", "pt")
    }
    assert min(counts.values()) >= 25, counts
    assert len(rows) >= 400
