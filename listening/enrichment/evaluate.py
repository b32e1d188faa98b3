"""Measure the labels on the held-out set: ``python -m listening.enrichment.evaluate`` (``make eval``).

Runs the whole enrichment, as ingestion does, on ``tests/fixtures/understanding/heldout.jsonl``
with no network language tags (the hard case), prints precision, recall, F1 and the confusion
matrix of every label, overall and per language, writes ``docs/understanding.md`` and exits
non-zero when a metric is below its floor in ``tests/fixtures/understanding/thresholds.json``.
``--no-write`` leaves the document alone (what the test suite does).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from listening.enrichment import EnrichmentConfig, enrich_batch
from listening.enrichment.language import DEFAULT_LANGUAGES
from listening.enrichment.understanding import INTENTS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "understanding"
HELDOUT = FIXTURES / "heldout.jsonl"
THRESHOLDS = FIXTURES / "thresholds.json"
DOC = ROOT / "docs" / "understanding.md"
KEEP_MARKER = "<!-- Everything below this line is kept when `make eval` rewrites the page. -->"
SENTIMENTS = ("negative", "neutral", "positive")
REPLY = ("reply", "no reply")
LANGUAGE_MIN_CHARS = 20


@dataclass
class Report:
    rows: list[dict]
    predicted: list[dict]
    metrics: dict[str, float]
    sections: list[str]


def load(path: Path = HELDOUT) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def predict(rows: Sequence[dict], languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[dict]:
    config = EnrichmentConfig(languages=tuple(languages))
    results = enrich_batch([row["text"] for row in rows], config)
    return [
        {
            "sentiment": r.sentiment_label,
            "intent": r.intent,
            "needs_reply": "reply" if r.needs_reply else "no reply",
            "language": r.language or "unknown",
        }
        for r in results
    ]


def _prf(
    gold: list[str], pred: list[str], labels: Sequence[str]
) -> dict[str, tuple[float, float, float, int]]:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=list(labels), zero_division=0)
    return {label: (p[i], r[i], f[i], int(n[i])) for i, label in enumerate(labels)}


def _table(title: str, gold: list[str], pred: list[str], labels: Sequence[str]) -> str:
    from sklearn.metrics import confusion_matrix

    scores = _prf(gold, pred, labels)
    lines = [f"### {title}", "", "| label | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    lines += [f"| {label} | {p:.2f} | {r:.2f} | {f:.2f} | {n} |" for label, (p, r, f, n) in scores.items()]
    columns = [*labels, *sorted({x for x in pred if x not in labels})]
    matrix = confusion_matrix(gold, pred, labels=columns)
    lines += ["", "Confusion (rows: truth, columns: predicted)", "", "| | " + " | ".join(columns) + " |"]
    lines.append("|---" * (len(columns) + 1) + "|")
    lines += [
        f"| **{label}** | " + " | ".join(str(v) for v in matrix[i]) + " |" for i, label in enumerate(columns)
    ]
    return "\n".join(lines)


def _macro_f1(gold: list[str], pred: list[str], labels: Sequence[str]) -> float:
    present = [label for label in labels if label in gold]
    scores = _prf(gold, pred, present)
    return sum(f for _, _, f, _ in scores.values()) / len(present) if present else 0.0


def _metrics(rows: list[dict], predicted: list[dict]) -> dict[str, float]:
    gold = {key: [_gold(row, key) for row in rows] for key in ("sentiment", "intent", "needs_reply")}
    pred = {key: [p[key] for p in predicted] for key in ("sentiment", "intent", "needs_reply")}
    intent = _prf(gold["intent"], pred["intent"], INTENTS)
    reply = _prf(gold["needs_reply"], pred["needs_reply"], REPLY)
    long_enough = [i for i, row in enumerate(rows) if len(row["text"]) >= LANGUAGE_MIN_CHARS]
    right = sum(predicted[i]["language"] == rows[i]["language"] for i in long_enough)
    return {
        "sentiment_macro_f1": _macro_f1(gold["sentiment"], pred["sentiment"], SENTIMENTS),
        "intent_macro_f1": _macro_f1(gold["intent"], pred["intent"], INTENTS),
        "complaint_recall": intent["complaint"][1],
        "fraud_recall": intent["fraud"][1],
        "needs_reply_f1": reply["reply"][2],
        "language_accuracy_20_chars": right / len(long_enough) if long_enough else 0.0,
    }


def _gold(row: dict, key: str) -> str:
    if key == "needs_reply":
        return "reply" if row["needs_reply"] else "no reply"
    return row[key]


def evaluate(rows: list[dict] | None = None) -> Report:
    rows = load() if rows is None else rows
    predicted = predict(rows)
    sections = []
    languages = sorted({row["language"] for row in rows})
    for key, labels in (("sentiment", SENTIMENTS), ("intent", INTENTS), ("needs_reply", REPLY)):
        sections.append(f"## {key}\n")
        sections.append(
            _table("all languages", [_gold(r, key) for r in rows], [p[key] for p in predicted], labels)
        )
        sections.append(_per_language(rows, predicted, key, labels, languages))
    sections.append("## language\n")
    sections.append(
        _table("all messages", [r["language"] for r in rows], [p["language"] for p in predicted], languages)
    )
    return Report(rows, predicted, _metrics(rows, predicted), sections)


def _per_language(rows, predicted, key: str, labels: Sequence[str], languages: list[str]) -> str:
    """Per language: macro precision, recall and F1 over the labels present, and each label's F1."""
    header = (
        "| language | precision | recall | macro-F1 | " + " | ".join(f"F1 {x}" for x in labels) + " | n |"
    )
    lines = ["### per language", "", header, "|---" * (len(labels) + 5) + "|"]
    for lang in languages:
        gold, pred = _split(rows, predicted, key, lang)
        present = [label for label in labels if label in gold]
        scores = _prf(gold, pred, labels)
        macro = [sum(scores[x][i] for x in present) / len(present) if present else 0.0 for i in range(3)]
        each = " | ".join(f"{scores[x][2]:.2f}" if x in present else "-" for x in labels)
        lines.append(f"| {lang} | {macro[0]:.2f} | {macro[1]:.2f} | {macro[2]:.2f} | {each} | {len(gold)} |")
    return "\n".join(lines) + "\n"


def _split(rows: list[dict], predicted: list[dict], key: str, lang: str) -> tuple[list[str], list[str]]:
    pairs = [(_gold(r, key), p[key]) for r, p in zip(rows, predicted, strict=True) if r["language"] == lang]
    return [g for g, _ in pairs], [p for _, p in pairs]


def failures(metrics: dict[str, float], thresholds: dict[str, float] | None = None) -> list[str]:
    """The metrics below their committed floor, as readable lines."""
    if thresholds is None:
        thresholds = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["floors"]
    return [
        f"{name} = {metrics.get(name, 0.0):.3f} is below its floor {floor:.3f}"
        for name, floor in thresholds.items()
        if metrics.get(name, 0.0) < floor
    ]


TARGETS = {
    "sentiment_macro_f1": 0.80,
    "intent_macro_f1": 0.75,
    "complaint_recall": 0.90,
    "fraud_recall": 0.90,
    "needs_reply_f1": 0.85,
    "language_accuracy_20_chars": 0.97,
}


# The held-out file grew in two parts (tests/fixtures/understanding/README.md): stories 1-16,
# whose results earlier model versions were measured and described on, and stories 17-24,
# written later and before the training messages added with them.
FIRST_PART_LAST_STORY = 16


def _story(row: dict) -> int:
    tail = row.get("id", "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def parts(report: Report) -> dict[str, dict[str, float]]:
    """The metrics of each part of the held-out file (empty parts left out)."""
    split: dict[str, list[int]] = {"stories 1-16": [], "stories 17-24": []}
    for i, row in enumerate(report.rows):
        split["stories 1-16" if _story(row) <= FIRST_PART_LAST_STORY else "stories 17-24"].append(i)
    return {
        name: _metrics([report.rows[i] for i in index], [report.predicted[i] for i in index])
        for name, index in split.items()
        if index and len(index) < len(report.rows)
    }


def summary(report: Report) -> str:
    floors = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["floors"]
    by_part = parts(report)
    part_names = list(by_part)
    lines = [
        "| metric | held-out | target | floor in thresholds.json | target met | "
        + "".join(f"{name} | " for name in part_names),
        "|---|---|---|---|---|" + "---|" * len(part_names),
    ]
    for name, value in report.metrics.items():
        target = TARGETS.get(name)
        met = "yes" if target is None or value >= target else "**no**"
        each = "".join(f"{by_part[part][name]:.3f} | " for part in part_names)
        lines.append(f"| {name} | {value:.3f} | {target or '-'} | {floors.get(name, '-')} | {met} | {each}")
    return "\n".join(line.rstrip() for line in lines)


def write_doc(report: Report, path: Path = DOC) -> None:
    kept = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if KEEP_MARKER in text:
            kept = text.split(KEEP_MARKER, 1)[1]
    generated = "\n\n".join(
        [
            "# Understanding: how right the labels are",
            "Generated by `make eval` (`python -m listening.enrichment.evaluate`) on "
            f"`tests/fixtures/understanding/heldout.jsonl` ({len(report.rows)} messages, no network "
            "language tags); the explanation and the decisions are after the tables. The last "
            "columns split the set into its two parts (see the fixtures' README).",
            summary(report),
            *report.sections,
        ]
    )
    path.write_text(f"{generated}\n\n{KEEP_MARKER}{kept or chr(10)}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/understanding.md")
    parser.add_argument("--file", type=Path, default=HELDOUT, help="labelled JSON lines to measure")
    args = parser.parse_args(argv)
    report = evaluate(load(args.file))
    print("\n\n".join(report.sections))
    print()
    print(summary(report))
    if not args.no_write and args.file == HELDOUT:
        write_doc(report)
        print(f"\nwrote {DOC.relative_to(ROOT)}")
    problems = failures(report.metrics)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
