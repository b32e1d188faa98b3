"""Tables and target verdicts from `results.json` (written to `var/bench/results.md`).

`docs/benchmarks.md` is written by a person from this output: it adds the reasons.
"""

from __future__ import annotations

import itertools

from bench import GROWTH_SCALES, SCALES

INGEST_MIN = 3000
INGEST_COPY_RATIO = 0.25
LIST_P95_1M = 30.0
LIST_GROWTH = 1.5
SEARCH_P95_1M = 150.0
CONVERSATION_P95 = 60.0
DASHBOARD_P95_1M = 300.0
QUEUE_P95_1M = 30.0
# The advice library's suggestions in the composer (learning.suggest.for_conversation): the page
# budget of issue #25 at the large scales, and issue #20's own 15 ms at every scale.
SUGGESTIONS_P95_1M = 30.0
SUGGESTIONS_P95 = 15.0
WORKER_MB = 250.0


def _pages(numbers: dict) -> list[str]:
    return [key[: -len("_p50_ms")] for key in numbers if key.endswith("_p50_ms")]


def verdicts(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, "met" / "MISSED" / "not measured")."""
    out: list[tuple[str, str, str]] = []
    for scale in SCALES:
        numbers = results.get(scale)
        if not numbers:
            continue
        if "ingest_per_s" not in numbers:  # pages measured again (bench.remeasure), no ingest
            continue
        rate, copy = numbers["ingest_per_s"], numbers["copy_per_s"]
        out.append(
            (
                f"{scale}: ingest >= {INGEST_MIN:,}/s",
                f"{rate:,.0f}/s",
                "met" if rate >= INGEST_MIN else "MISSED",
            )
        )
        ratio = rate / copy if copy else 0
        out.append(
            (
                f"{scale}: ingest >= 1/4 of COPY",
                f"{ratio:.3f} of {copy:,.0f}/s",
                "met" if ratio >= INGEST_COPY_RATIO else "MISSED",
            )
        )
        if "ingest_machine_per_s" in numbers:  # two polls at once, as the worker runs them
            machine = numbers["ingest_machine_per_s"]
            out.append(
                (
                    f"{scale}: ingest, two polls at once, >= {INGEST_MIN:,}/s and 1/4 of COPY",
                    f"{machine:,.0f}/s ({machine / copy if copy else 0:.3f} of COPY)",
                    "met"
                    if machine >= INGEST_MIN and copy and machine / copy >= INGEST_COPY_RATIO
                    else "MISSED",
                )
            )
        if "suggestions_p95_ms" in numbers:
            p95 = numbers["suggestions_p95_ms"]
            out.append(
                (
                    f"{scale}: library suggestions p95 <= {SUGGESTIONS_P95:.0f} ms (#20)",
                    f"{p95:.1f} ms",
                    "met" if p95 <= SUGGESTIONS_P95 else "MISSED",
                )
            )
        for page in _pages(numbers):
            if page.startswith("conversation"):
                p95 = numbers[f"{page}_p95_ms"]
                out.append(
                    (
                        f"{scale}: {page} p95 <= {CONVERSATION_P95:.0f} ms",
                        f"{p95:.1f} ms",
                        "met" if p95 <= CONVERSATION_P95 else "MISSED",
                    )
                )
    for big_scale, small_scale in (("1m", "10k"), ("1mconv", "10kconv")):
        out += _large_scale_verdicts(results, big_scale, small_scale)
    if "worker_rss_mb" in results:
        mb = results["worker_rss_mb"]
        out.append(
            (f"worker peak <= {WORKER_MB:.0f} MB", f"{mb:.0f} MB", "met" if mb <= WORKER_MB else "MISSED")
        )
    return out


def _page_target(page: str) -> tuple[str, float] | None:
    """(what, p95 budget in ms) of a page at the large scales."""
    if page.startswith("inbox_") and page != "inbox_poll":
        return "list", LIST_P95_1M
    if page.startswith("search"):
        return "search", SEARCH_P95_1M
    if page == "dashboard" or page.startswith("dashboard_"):
        return "dashboard", DASHBOARD_P95_1M
    if page in ("specialist_queue", "complaints_queue"):
        return "queue", QUEUE_P95_1M
    if page == "suggestions":
        return "suggestions", SUGGESTIONS_P95_1M
    return None


def _large_scale_verdicts(results: dict, big_scale: str, small_scale: str) -> list[tuple[str, str, str]]:
    """The budgets of every page at `big_scale` (1m mentions or 1M conversations)."""
    big, small = results.get(big_scale), results.get(small_scale)
    if not big:
        return [(f"{big_scale} targets", "-", f"not measured: the {big_scale} scale has not been run")]
    out = []
    for page in _pages(big):
        target = _page_target(page)
        if target is None:
            continue
        what, budget = target
        p95 = big[f"{page}_p95_ms"]
        out.append(
            (
                f"{big_scale}: {page} p95 <= {budget:.0f} ms",
                f"{p95:.1f} ms",
                "met" if p95 <= budget else "MISSED",
            )
        )
        if what == "list" and small and f"{page}_p95_ms" in small:
            base = small[f"{page}_p95_ms"]
            out.append(
                (
                    f"{big_scale}: {page} p95 <= 1.5 x {small_scale}",
                    f"{p95 / base:.2f} x ({base:.1f} ms at {small_scale})",
                    "met" if p95 <= LIST_GROWTH * base else "MISSED",
                )
            )
    if "dashboard_p50_ms" not in big:
        out.append((f"{big_scale}: dashboard p95 <= 300 ms", "-", "not measured: no dashboard page yet"))
    return out


def growth(results: dict) -> list[str]:
    """p95 of every page at 10k, 100k and 1M conversations, and the ratio from one to the next."""
    have = [s for s in GROWTH_SCALES if results.get(s)]
    if len(have) < 2:
        return []
    pages = [p for p in _pages(results[have[-1]]) if all(f"{p}_p95_ms" in results[s] for s in have)]
    head = " | ".join(have)
    ratios = " | ".join(f"{b} / {a}" for a, b in itertools.pairwise(have))
    lines = ["## Growth with conversations (p95)", "", f"| page | {head} | {ratios} |"]
    lines.append("|---|" + "---:|" * (len(have) * 2 - 1))
    for page in pages:
        values = [results[s][f"{page}_p95_ms"] for s in have]
        cells = " | ".join(f"{v:.1f} ms" for v in values)
        steps = " | ".join(f"{b / a:.2f} x" if a else "-" for a, b in itertools.pairwise(values))
        lines.append(f"| {page} | {cells} | {steps} |")
    return [*lines, ""]


def render(results: dict, details: dict | None = None) -> str:
    details = details or {}
    lines = ["# Benchmark results (generated by `make bench`)", ""]
    machine = details.get("machine", {})
    if machine:
        lines += [
            f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory_gb')} GB; "
            f"Python {machine.get('python')}; PostgreSQL {details.get('postgres', '?')}",
            "",
        ]
    for scale in SCALES:
        numbers = results.get(scale)
        if not numbers:
            continue
        info = details.get("details", {}).get(scale, {})
        lines += [
            f"## {scale} ({info['mentions']:,} mentions, {info['conversations']:,} conversations)"
            if info
            else f"## {scale}",
            "",
            f"Run {details.get('dates', {}).get(scale, '?')}; seeded in {info.get('seed_seconds', '?')} s.",
            "",
            "| page | p50 | p95 | CPU p50 | DB | queries | speed probe |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        queries, cpu, db = info.get("queries", {}), info.get("cpu_p50_ms", {}), info.get("db_ms", {})
        probe = info.get("probe_ms", {})
        for page in _pages(numbers):
            db_ms = f"{db[page]} ms" if page in db else "-"  # the suggestions are no page: no EXPLAIN
            lines.append(
                f"| {page} | {numbers[f'{page}_p50_ms']:.1f} ms | {numbers[f'{page}_p95_ms']:.1f} ms "
                f"| {cpu.get(page, '')} ms | {db_ms} | {queries.get(page, '')} "
                f"| {f'{probe[page]} ms' if page in probe else '-'} |"
            )
        ingest = info.get("ingest", {})
        if "ingest_per_s" not in numbers:
            lines += [
                "",
                "Pages measured again on the seeded database (`bench.remeasure`); no ingest run.",
                "",
            ]
            continue
        lines += [
            "",
            f"Ingest {numbers['ingest_per_s']:,.0f} mentions/s, COPY {numbers['copy_per_s']:,.0f} rows/s "
            f"(ratio {numbers['ingest_per_s'] / numbers['copy_per_s']:.3f}). "
            + (
                f"Two polls at once: {numbers['ingest_machine_per_s']:,.0f} mentions/s. "
                if "ingest_machine_per_s" in numbers
                else ""
            )
            + (
                f"Of {ingest.get('seconds')} s: parse {ingest.get('parse_s')} s, "
                f"enrich {ingest.get('enrich_s')} s, "
                f"store {ingest.get('store_s')} s, inbox attach {ingest.get('attach_s')} s, "
                f"escalations receivers {ingest.get('escalate_s', 0)} s; "
                f"{ingest.get('queries_per_page')} queries per page of 100."
                if ingest
                else ""
            ),
            "",
        ]
        missing = info.get("missing_pages") or []
        if missing:
            lines += [f"Not built yet, so not measured: {', '.join(missing)}.", ""]
    if "worker_rss_mb" in results:
        lines += [f"Worker peak RSS {results['worker_rss_mb']:.0f} MB (largest process).", ""]
    if "web_rss_mb" in results:
        lines += [f"Web peak RSS {results['web_rss_mb']:.0f} MB (largest gunicorn worker).", ""]
    lines += growth(results)
    lines += ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in verdicts(results)]
    return "\n".join(lines) + "\n"
