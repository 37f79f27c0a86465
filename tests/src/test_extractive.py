"""The extractive answer with the hashed embedder: the sentences chosen, their order and
context, and the sentence splitting they rest on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hashed_embedder import HashedEmbedder
from helpers import hits as _hits

from src.extractive import (
    EXTRACTIVE_PREFIX,
    NO_CONTEXT_ANSWER,
    answers_kind,
    extractive_answer,
    sentences,
)
from src.generation import cited_numbers
from src.text.segmentation import Segmenter

SEGMENTER = Segmenter()


# -- extractive_answer -----------------------------------------------------------------------


def test_extractive_answer_picks_the_closest_sentence_with_its_citation() -> None:
    hits = _hits(
        "Cats sleep most of the day. Bread needs flour and water.",
        "Parsley grows in pots. The harbour crane lifts steel containers.",
    )
    answer = extractive_answer("what lifts steel containers", hits, HashedEmbedder(), SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "The harbour crane lifts steel containers. [2]"


def test_extractive_answer_lists_close_sentences_best_first() -> None:
    # The second passage's sentence is the closest; the first one's is nearly as close.
    hits = _hits("Goats graze meadows daily. Cranes lift steel.", "Goats graze meadows.")
    answer = extractive_answer("goats graze meadows", hits, HashedEmbedder(), SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "Goats graze meadows. [2] Goats graze meadows daily. [1]"


def test_extractive_answer_reads_a_pronoun_sentence_with_the_one_before() -> None:
    # The case: the answering sentence shares one word with the question.
    hits = _hits(
        "The Varnholm lighthouse stands in the harbour city of Keldmouth. It was built in "
        "1871 by the engineer Tamsin Orrery. Its lamp burned whale oil."
    )
    answer = extractive_answer(
        "When was the Varnholm lighthouse built?", hits, HashedEmbedder(), SEGMENTER
    )
    first = answer.removeprefix(EXTRACTIVE_PREFIX).split(" [1]")[0]
    assert first.endswith("It was built in 1871 by the engineer Tamsin Orrery.")
    assert first.startswith("The Varnholm lighthouse stands")


def test_extractive_answer_prefers_the_kind_of_answer_asked_for() -> None:
    hits = _hits("Keldmouth goats graze on the hills. Keldmouth goats graze, 412 of them.")
    answer = extractive_answer(
        "How many goats graze in Keldmouth?", hits, HashedEmbedder(), SEGMENTER, max_sentences=1
    )
    assert "412" in answer


@pytest.mark.parametrize(
    ("question", "sentence", "kind"),
    [
        ("How many sacks did he have?", "He had 136 sacks.", True),
        ("How many sacks did he have?", "He had many sacks.", False),
        ("When was it built?", "It was built in the spring of 1871.", True),
        ("When was it built?", "It was built by Orrery.", False),
        ("黑豹队丢了多少分？", "黑豹队只丢了308分。", True),
        ("Who built it?", "Orrery built it in 1871.", False),
    ],
)
def test_answers_kind_matches_numbers_and_times(question: str, sentence: str, kind: bool) -> None:
    assert answers_kind(question, sentence) is kind


def test_extractive_answer_keeps_at_most_max_sentences() -> None:
    hits = _hits(*[f"Goats graze {place}." for place in ("here", "there", "above", "below")])
    answer = extractive_answer("goats graze", hits, HashedEmbedder(), SEGMENTER, max_sentences=2)
    assert answer.count("Goats graze") == 2
    assert len(cited_numbers(answer, len(hits))) == 2


def test_extractive_answer_without_hits_is_no_context() -> None:
    embedder = HashedEmbedder()
    assert extractive_answer("anything", [], embedder, SEGMENTER) == NO_CONTEXT_ANSWER
    assert embedder.calls == []


def test_extractive_answer_without_sentences_quotes_the_first_passage() -> None:
    embedder = HashedEmbedder()
    answer = extractive_answer("anything", _hits("ok", "no"), embedder, SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "ok [1]"
    assert embedder.calls == []


def test_extractive_answer_with_asked_vector_does_not_embed_the_question() -> None:
    embedder = HashedEmbedder()
    hits = _hits("Cats sleep most of the day.", "The harbour crane lifts steel containers.")
    # The question shares no word with any sentence: only `asked` can point at the crane.
    asked = embedder.vector("harbour crane lifts steel containers")
    answer = extractive_answer("zzz qqq", hits, embedder, SEGMENTER, asked=asked)
    assert answer == EXTRACTIVE_PREFIX + "The harbour crane lifts steel containers. [2]"
    assert [query for _, query in embedder.calls] == [False]  # the sentences only


def test_extractive_answer_without_asked_vector_embeds_the_question_as_a_query() -> None:
    embedder = HashedEmbedder()
    extractive_answer("crane", _hits("The crane lifts."), embedder, SEGMENTER)
    assert embedder.calls[0] == (["crane"], True)


def test_extractive_answer_uses_the_segmenter_given(tmp_path: Path) -> None:
    # The hashed embedder takes each CJK sentence as one word: only shared terms rank them.
    # The first passage holds every bigram of the name, the second the name itself.
    hits = _hits("云原和原生和生平和平台都很好。", "我们的云原生平台很好。")
    question = "云原生平台"
    plain = extractive_answer(question, hits, HashedEmbedder(), Segmenter(), max_sentences=1)
    assert plain == EXTRACTIVE_PREFIX + "云原和原生和生平和平台都很好。 [1]"
    # With the product name as a word, the sentence that names it whole wins.
    user_dict = tmp_path / "words.txt"
    user_dict.write_text("云原生平台 100\n", encoding="utf-8")
    named = extractive_answer(
        question, hits, HashedEmbedder(), Segmenter(user_dict), max_sentences=1
    )
    assert named == EXTRACTIVE_PREFIX + "我们的云原生平台很好。 [2]"


# -- sentences ---------------------------------------------------------------------------------


def test_sentences_splits_latin_text_at_end_marks_and_newlines() -> None:
    text = "First one. Second one! Third one?  Fourth\nFifth line\n\n  "
    assert sentences(text) == ["First one.", "Second one!", "Third one?", "Fourth", "Fifth line"]


def test_sentences_keeps_decimals_and_unspaced_periods_together() -> None:
    assert sentences("Version 2.5 ships today.See notes.") == ["Version 2.5 ships today.See notes."]


def test_sentences_splits_cjk_text_at_full_width_marks() -> None:
    text = "今天下雨。你去吗？太好了！第一；第二「引用。」最后"
    assert sentences(text) == [
        "今天下雨。",
        "你去吗？",
        "太好了！",
        "第一；",
        "第二「引用。」",
        "最后",
    ]


def test_sentences_of_blank_text_is_empty() -> None:
    assert sentences(" \n\n ") == []


def test_extractive_answer_cjk_question_with_an_english_model_embeds_nothing() -> None:
    embedder = HashedEmbedder(languages=("en",))
    hits = _hits("黑豹队的防守只丢了308分。", "职业碗防守截锋卡万·肖特领先全队。")
    answer = extractive_answer("黑豹队丢了多少分？", hits, embedder, SEGMENTER, max_sentences=1)
    assert answer == EXTRACTIVE_PREFIX + "黑豹队的防守只丢了308分。 [1]"
    assert embedder.calls == []
