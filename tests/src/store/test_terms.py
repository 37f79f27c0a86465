"""Keyword query terms: words only, stopwords out, bounded."""

from __future__ import annotations

from src.text.terms import MAX_TERMS, query_terms


def test_query_terms_drop_syntax_and_stopwords() -> None:
    assert query_terms('What is "NEAR(a b)" OR * os_path') == ["near", "b", "os", "path"]
    assert query_terms("to be or not to be") == ["to", "be", "or", "not"]
    assert query_terms("  ,;  ") == []


def test_query_terms_keep_at_most_the_longest_in_order() -> None:
    words = [f"w{i}" for i in range(500)] + ["otterspotting", "kelpforests"]
    terms = query_terms(" ".join(words))
    assert len(terms) == MAX_TERMS
    assert terms[-2:] == ["otterspotting", "kelpforests"]  # the longest, in query order
    assert all(len(term) == len("w100") for term in terms[:-2])
