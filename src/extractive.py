"""The extractive answer, what a service with no language model says: the sentences of the
retrieved passages that answer the question, best first, each with its citation.

A sentence is scored on what it says in context (one opening with a pronoun, "It was built
in 1871", is read with the sentence before it, which names what "it" is), by its cosine to
the question (when the model reads the question's language), the share of the question's
words it holds, the rank of its passage, and whether it holds the kind of thing the
question asks for (a number for "how many", a date for "when"). Chosen on XQuAD through the
API (bench/answers.py): the first sentence holds the answer for 0.806 of the English
questions and 0.761 of the Chinese ones, where the sentence alone, in reading order, did for
0.724 and 0.613."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from src.embedding import Embedder, reads
from src.models import Hit, Matrix
from src.text.segmentation import Segmenter
from src.text.terms import query_terms

EXTRACTIVE_PREFIX = "No language model is configured; the best-matching passages say: "
NO_CONTEXT_ANSWER = "No stored document matches the question, so there is nothing to answer from."
# Latin sentences end at . ! ? followed by a space; Chinese and Japanese ones at their
# full stop, exclamation, question mark and semicolon (U+3002, U+FF01, U+FF1F, U+FF1B),
# with no space after them (closing quotes and brackets stay with their sentence).
_LATIN_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CJK_SENTENCE = re.compile(
    "[^\u3002\uff01\uff1f\uff1b]*[\u3002\uff01\uff1f\uff1b]+[\u201d\u2019\u300d\u300f\uff09]*"
    "|[^\u3002\uff01\uff1f\uff1b]+"
)
# A sentence that opens with one of these leans on the one before it.
_ANAPHOR = re.compile(
    r"^(?:(?:it|he|she|they|this|these|those|its|his|her|their|there|that|such)\b|[他她它这那其该此])",
    re.IGNORECASE,
)
# Weights beside the cosine's 1, chosen on XQuAD en and zh (bench/answers.py): the share of
# the question's words a sentence holds, the cost of each passage rank below the first, and
# the bonus for holding the kind of answer the question asks for.
LEXICAL_WEIGHT = 2.0
RANK_WEIGHT = 0.1
TYPE_WEIGHT = 0.2
# Only sentences nearly as good as the best one: a weak runner-up adds noise, not support.
RELATIVE_SENTENCE_MARGIN = 0.15


@dataclass(frozen=True)
class Candidate:
    number: int  # the citation: the passage's rank
    sentence: str
    previous: str  # the sentence before it in its passage ("" for the first)

    @property
    def read(self) -> str:
        """The sentence as it is scored and quoted: with the one before when it needs it."""
        if self.previous and _ANAPHOR.match(self.sentence):
            return f"{self.previous} {self.sentence}"
        return self.sentence


def sentences(text: str) -> list[str]:
    """The text's sentences, stripped, in order, the empty ones left out."""
    pieces = (
        match.group()
        for part in _LATIN_SENTENCE_END.split(text)
        for match in _CJK_SENTENCE.finditer(part)
    )
    return [piece.strip() for piece in pieces if piece.strip()]


def candidates_of(hits: list[Hit]) -> list[Candidate]:
    found = []
    for number, hit in enumerate(hits, start=1):
        said = [s for s in sentences(hit.text) if len(s) > 2]
        for i, sentence in enumerate(said):
            found.append(Candidate(number, sentence, said[i - 1] if i else ""))
    return found


def extractive_answer(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    segmenter: Segmenter,
    asked: Matrix | None = None,
    max_sentences: int = 3,
) -> str:
    """`asked`: the question's embedding, when the caller has it already."""
    if not hits:
        return NO_CONTEXT_ANSWER
    candidates = candidates_of(hits)
    if not candidates:
        return EXTRACTIVE_PREFIX + f"{hits[0].text} [1]"
    if asked is None and reads(embedder, question):
        asked = embedder.embed([question], query=True)[0]
    scores = _scores(question, candidates, embedder, segmenter, asked)
    ranked = np.argsort(-scores, kind="stable")[:max_sentences].tolist()
    floor = float(scores[ranked[0]]) - RELATIVE_SENTENCE_MARGIN
    quoted: list[str] = []
    for i in ranked:
        text = candidates[i].read
        if scores[i] >= floor and not any(text in q for q in quoted):
            quoted.append(f"{text} [{candidates[i].number}]")
    return EXTRACTIVE_PREFIX + " ".join(quoted)


def _scores(
    question: str,
    candidates: list[Candidate],
    embedder: Embedder,
    segmenter: Segmenter,
    asked: Matrix | None,
) -> npt.NDArray[np.float32]:
    """`asked` None: the model does not read the question's language; its cosine is left
    out (on XQuAD zh with the English model it only cost: 0.744 with it, 0.761 without)."""
    read = [c.read for c in candidates]
    cosine = embedder.embed(read) @ asked if asked is not None else np.zeros(len(read))
    lexical = _shared_terms(segmenter, question, read)
    ranks = np.array([c.number - 1 for c in candidates], dtype=np.float32)
    typed = np.array([answers_kind(question, c.sentence) for c in candidates], dtype=np.float32)
    return np.asarray(
        cosine + LEXICAL_WEIGHT * lexical - RANK_WEIGHT * ranks + TYPE_WEIGHT * typed,
        dtype=np.float32,
    )


def _terms(segmenter: Segmenter, text: str) -> set[str]:
    return set(query_terms(segmenter.expand(text.lower())))


def _shared_terms(segmenter: Segmenter, question: str, texts: list[str]) -> npt.NDArray[np.float32]:
    """The share of the question's keyword terms each text contains."""
    asked = _terms(segmenter, question)
    shared = [len(asked & _terms(segmenter, text)) / max(len(asked), 1) for text in texts]
    return np.array(shared, dtype=np.float32)


# -- what a question asks for ----------------------------------------------------------------

_ASKS_NUMBER = re.compile(
    r"^\s*how (?:many|much|long|far|old|large|big|tall|high)\b|what percent|多少|几|百分之",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(r"^\s*when\b|what year|which year|哪一年|哪年|何时|什么时候", re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b"
    r"|[一二三四五六七八九十百千万亿两]",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|century)\b|[年月]|世纪",
    re.IGNORECASE,
)


def answers_kind(question: str, sentence: str) -> bool:
    """Whether the sentence holds the kind of thing the question asks for, when it asks for
    a number or a time."""
    if _ASKS_NUMBER.search(question):
        return bool(_NUMBER.search(sentence))
    if _ASKS_TIME.search(question):
        return bool(_TIME.search(sentence))
    return False
