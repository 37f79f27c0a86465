"""Keyword query terms: words only, stopwords out, bounded."""

from __future__ import annotations

from src.text.terms import MAX_TERMS, query_terms


def test_query_terms_drop_syntax_and_stopwords() -> None:
    assert list(query_terms('What is "NEAR(a b)" OR * os_path')) == ["near", "b", "os", "path"]
    assert list(query_terms("to be or not to be")) == ["to", "be", "or", "not"]
    assert query_terms("  ,;  ") == {}


def test_query_terms_count_repeated_words() -> None:
    terms = query_terms("Otters eat kelp; the otters' kelp forests feed OTTERS")
    assert terms == {"otters": 3, "eat": 1, "kelp": 2, "forests": 1, "feed": 1}
    assert query_terms("to be or not to be") == {"to": 2, "be": 2, "or": 1, "not": 1}


def test_query_terms_keep_at_most_the_repeated_then_longest_in_order() -> None:
    words = [f"w{i}" for i in range(500)] + ["otterspotting", "kelpforests", "w7"]
    terms = query_terms(" ".join(words))
    assert len(terms) == MAX_TERMS
    assert next(iter(terms)) == "w7" and terms["w7"] == 2  # repeated: kept, in query order
    assert list(terms)[-2:] == ["otterspotting", "kelpforests"]  # the longest
    assert all(len(term) == len("w100") for term in list(terms)[1:-2])
