"""Answers that answer: XQuAD (`../shared/eval/xquad-answers/`, English and Chinese, 240
paragraphs, 1,190 questions each) through the real HTTP API. The paragraphs are uploaded to a
fresh store (title: the article), each question asked of /v1/query, and an answer counted
when it holds the gold answer text (after NFKC, lower-case and whitespace folding).

Reported per language, all from the same answers:
- the extractive answer's first sentence (the best one: the answer lists them best first);
- the whole answer, and its median length in characters (without the fixed prefix);
- the baseline the set's README names: of the top 3 cited passages, the one sentence with the
  most question words;
- the top-1 passage: what a one-passage extractive answer can reach at best.
With an LLM configured (`LLM_*` in the environment of `bench`), the same set measures the
whole pipeline."""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import httpx

from bench.beir import EVAL, served
from bench.report import Record
from src.extractive import EXTRACTIVE_PREFIX, sentences
from src.text.segmentation import Segmenter
from src.text.terms import query_terms

ANSWERS = EVAL / "xquad-answers"
LANGUAGES = ("en", "zh")
TOP_PASSAGES = 3
_CITED_SENTENCE = re.compile(r".*?\[\d+\]", re.DOTALL)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def holds(text: str, answers: list[str]) -> bool:
    return any(folded(answer) in folded(text) for answer in answers)


def answer_body(answer: str) -> str:
    return answer.removeprefix(EXTRACTIVE_PREFIX).strip()


def first_sentence(answer: str) -> str:
    """The answer up to its first citation: its first (best) sentence."""
    match = _CITED_SENTENCE.match(answer_body(answer))
    return match.group() if match else answer_body(answer)


def most_question_words(question: str, passages: list[str], segmenter: Segmenter) -> str:
    """The baseline: the passages' sentence that holds the most of the question's words."""
    asked = set(query_terms(segmenter.expand(question.lower())))
    candidates = [s for passage in passages for s in sentences(passage)] or [""]
    return max(candidates, key=lambda s: len(asked & set(query_terms(segmenter.expand(s.lower())))))


def _ask_all(
    url: str, language: str, limit: int | None
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    folder = ANSWERS / language
    with httpx.Client(base_url=url, timeout=600) as http:
        for paragraph in _jsonl(folder / "corpus.jsonl"):
            body = {"text": paragraph["text"], "title": paragraph["title"]}
            http.post("/v1/documents", json=body, params={"background": "false"}).raise_for_status()
        asked = []
        for question in _jsonl(folder / "questions.jsonl")[:limit]:
            response = http.post("/v1/query", json={"question": question["text"]})
            response.raise_for_status()
            asked.append((question, response.json()))
    return asked


def answers_of(language: str, limit: int | None = None) -> list[Record]:
    """With `limit`, only the first questions are asked (every paragraph is stored)."""
    with tempfile.TemporaryDirectory(prefix="rag-answers-") as tmp, served(Path(tmp)) as url:
        asked = _ask_all(url, language, limit)
    segmenter = Segmenter()
    counts = {"first sentence": 0, "answer": 0, "baseline": 0, "top-1 passage": 0}
    lengths = []
    for question, reply in asked:
        gold, passages = question["answers"], [c["text"] for c in reply["citations"]]
        counts["first sentence"] += holds(first_sentence(reply["answer"]), gold)
        counts["answer"] += holds(reply["answer"], gold)
        baseline = most_question_words(question["text"], passages[:TOP_PASSAGES], segmenter)
        counts["baseline"] += holds(baseline, gold)
        counts["top-1 passage"] += bool(passages) and holds(passages[0], gold)
        lengths.append(len(answer_body(reply["answer"])))
    scenario = f"answers_{language}{'_subset' if limit else ''}"
    records = [
        Record(scenario, name, "holds_answer", round(n / len(asked), 4), "")
        for name, n in counts.items()
    ]
    records.append(Record(scenario, "answer", "median_chars", statistics.median(lengths), "chars"))
    return records


def answers(limit: int | None = None) -> list[Record]:
    return [record for language in LANGUAGES for record in answers_of(language, limit)]
