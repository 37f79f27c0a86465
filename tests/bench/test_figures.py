"""The README's figure blocks say what the records say: the matched-recall comparison, the
concurrency verdict, and who leads where."""

from __future__ import annotations

from bench import figures
from bench.readme import Results
from bench.report import Record, summarize

SWEEP = "embedded_100k_chunks_sweep"


def _point(variant: str, p50: float, recall: float) -> list[Record]:
    return [
        Record(SWEEP, variant, "dense_p50", p50, "ms"),
        Record(SWEEP, variant, "recall_at_10", recall, ""),
    ]


def _results(records: list[Record]) -> Results:
    return Results(records, runs={}, published=[])


def test_matched_picks_the_fastest_setting_that_reaches_rag_api_recall() -> None:
    records = _point("rag-api default", 1.8, 0.965)
    records += _point("chroma default", 2.6, 0.93)
    records += _point("chroma ef=400", 4.7, 0.978)
    records += _point("chroma ef=800", 6.1, 0.99)
    text = figures.matched(_results(records))
    assert "chroma: the fastest setting that reaches it, `chroma ef=400`" in text
    assert "dense p50 4.7 ms" in text


def test_matched_says_when_no_setting_reaches_it() -> None:
    records = _point("rag-api default", 1.8, 0.965)
    records += _point("lancedb default", 6.4, 0.46) + _point("lancedb nprobes=200", 10.6, 0.941)
    text = figures.matched(_results(records))
    assert "lancedb: no setting swept reaches it; the best, `lancedb nprobes=200`" in text


def _load(keyword_many: float) -> list[Record]:
    records = [Record("store", "100k_chunks", "chunks", 100_000, "chunks")]
    for mode in figures.MODES:
        many = keyword_many if mode == "keyword" else 150.0
        records += [
            summarize("retrieve_100k_chunks_1_client", mode, "throughput", [90, 80, 95], "req/s"),
            Record("retrieve_100k_chunks_16_clients", mode, "throughput", many, "req/s"),
        ]
    return records


def test_concurrency_names_a_mode_whose_sixteen_clients_fell() -> None:
    text = figures.concurrency(_results(_load(keyword_many=70.0)))
    assert "Below the slowest 1-client run: keyword at 100k chunks." in text


def test_concurrency_says_when_every_mode_kept_up() -> None:
    text = figures.concurrency(_results(_load(keyword_many=85.0)))
    assert "Every mode at every size stays at or above the slowest 1-client run." in text


def test_standing_leads_on_lower_latency_and_trails_on_lower_recall() -> None:
    scenario = "embedded_100k_chunks"
    records = [
        Record(scenario, "rag-api", "dense_p50", 1.8, "ms"),
        Record(scenario, "chroma", "dense_p50", 2.6, "ms"),
        Record(scenario, "rag-api", "recall_at_10", 0.90, ""),
        Record(scenario, "chroma", "recall_at_10", 0.93, ""),
    ]
    rows = figures.standing(_results(records)).splitlines()
    assert "| dense p50, 100k chunks, defaults | chroma | 1.8 ms | 2.6 ms | leads |" in rows
    recall_row = "| dense recall@10, 100k chunks, defaults | chroma | 0.900 | 0.930 | **trails** |"
    assert recall_row in rows
