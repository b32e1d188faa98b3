"""Time enrichment of a realistic page of 100 posts: ``python -m listening.enrichment.bench``.

Not a test: timings depend on the machine. It prints the cold first page (model loading
included) and the best and median of the warm pages, which is what each poll pays; the CPU
figure is the one to compare on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from listening.enrichment import EnrichmentConfig, enrich_batch

# What a bank's mentions look like: mostly short, some links, emoji, a few languages, now and
# then personal data. Hints mimic X's own "lang" field, which is often present.
_SAMPLE: tuple[tuple[str, str], ...] = (
    ("@BankBuzz my card got declined at Tesco again, third time this week 😡", "en"),
    ("@BankBuzz is the app down? can't log in since 8am", ""),
    ("Thanks @BankBuzz for sorting my replacement card so quickly, top service 👏", "en"),
    ("@BankBuzz someone used my card for £1,200.50 at a shop I've never been to. fraud??", ""),
    ("@BankBuzz my card number is 4111 1111 1111 1111 can you check why it's blocked", ""),
    ("@BankBuzz how long does a mortgage application take these days?", "en"),
    ("Free BTC giveaway!!! send 0.1 btc receive 0.2 back https://t.co/abc123 #crypto #btc", ""),
    ("@BankBuzz mi tarjeta no funciona desde ayer, ¿qué pasa?", ""),
    ("@BankBuzz ma carte a été bloquée sans raison, je suis furieux", "fr"),
    ("@BankBuzz meine Überweisung ist seit drei Tagen nicht angekommen", ""),
    ("@BankBuzz mijn pas werkt niet meer in het buitenland, help", ""),
    ("@BankBuzz please call me on 07700 900123 about my complaint ref 12345678", ""),
    ("@BankBuzz IBAN GB82 WEST 1234 5698 7654 32 payment still missing", ""),
    ("worst bank ever, still waiting for my refund https://x.com/u/status/1790123456789012345", "en"),
    ("@BankBuzz love the new app update, budgeting tool is brilliant", ""),
    ("@BankBuzz why do you charge a fee for paying in cash?", ""),
    ("@BankBuzz cheers, all sorted now 🙏", "en"),
    ("@BankBuzz order 20231104558812 never arrived and you took the money twice", ""),
    ("@BankBuzz my email is jane.doe@example.com please reply there", ""),
    ("DM me to earn $5000 weekly from home, no experience needed", ""),
)


def _page(size: int) -> list[tuple[str, str]]:
    return [_SAMPLE[i % len(_SAMPLE)] for i in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100, help="posts per page")
    parser.add_argument("--rounds", type=int, default=20, help="warm pages to time")
    parser.add_argument(
        "--languages", default="en,fr,de,es,it,nl,pl,pt", help="BANK_LANGUAGES, comma-separated"
    )
    parser.add_argument(
        "--hints",
        choices=("sample", "none", "all"),
        default="sample",
        help="network language tags: as in the sample (some), none (Facebook/LinkedIn), all (X)",
    )
    args = parser.parse_args()

    config = EnrichmentConfig(languages=tuple(args.languages.split(",")))
    page = _page(args.size)
    if args.hints != "sample":
        page = [(text, "en" if args.hints == "all" else "") for text, _ in page]
    # Different text on every round, so no cache anywhere can make the warm figure look better.
    pages = [[(f"{text} #{n}", hint) for text, hint in page] for n in range(args.rounds)]

    started = time.perf_counter()
    enrich_batch(page, config)
    cold = time.perf_counter() - started

    timings = []
    cpu_timings = []
    for warm_page in pages:
        started, cpu_started = time.perf_counter(), time.process_time()
        enrich_batch(warm_page, config)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)

    print(f"page of {args.size} posts, languages {','.join(config.languages)}, hints: {args.hints}")
    print(f"  cold (loads models): {cold * 1000:7.1f} ms")
    print(f"  warm best:           {min(timings) * 1000:7.1f} ms")
    print(f"  warm median:         {statistics.median(timings) * 1000:7.1f} ms")
    print(f"  warm median CPU:     {statistics.median(cpu_timings) * 1000:7.1f} ms")
    print(f"  per post (median):   {statistics.median(timings) * 1000 / args.size:7.3f} ms")


if __name__ == "__main__":
    main()
