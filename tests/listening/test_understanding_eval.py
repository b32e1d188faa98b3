"""The labels on the held-out set stay at or above the floors committed in thresholds.json."""

from __future__ import annotations

import json

from listening.enrichment import evaluate


def test_heldout_metrics_meet_the_committed_floors():
    report = evaluate.evaluate()
    assert len(report.rows) >= 120
    assert evaluate.failures(report.metrics) == []


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
