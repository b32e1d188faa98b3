"""`python -m bench.enrichment` measures every labelled message and says what it measured."""

from bench import enrichment


def test_the_enrichment_bench_measures_every_labelled_message():
    result = enrichment.measure(rounds=1)
    assert result["messages"] == len(enrichment._texts()) >= 600
    assert result["median_ms_per_message"] > 0
    assert result["p90_ms_per_message"] >= result["median_ms_per_message"]
    assert len(result["load_average"]) == 3
    assert result["languages"] == ["en", "fr", "de", "es", "it", "nl", "pl", "pt"]
