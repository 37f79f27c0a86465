"""Text as the keyword index sees it, at indexing and at query time alike.

Chinese, Japanese and Korean are written without spaces between words, so a tokenizer that
splits on spaces and punctuation takes a whole run of CJK characters as one word, and a word
inside it never matches. Each run is therefore replaced by the words a dictionary segmenter
(jieba, through its Rust port) finds in it, plus every pair of adjacent characters (bigrams):
the words rank a query that names them exactly, the bigrams make a term the dictionary does
not know (a product code, a place name) still match. Measured on XQuAD zh through tantivy's
BM25 (nDCG@10): bigrams 0.964, words 0.955, words + bigrams 0.965; adding single characters
gained 0.003 for twice the search time, so they are left out.

Text is also NFKC-normalised first, so full-width letters and digits (U+FF10-U+FF5A)
are the same terms as their ASCII forms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import rjieba

from src.errors import StoreError

# Bumped whenever the terms made from a text change: an index built by another version is
# rebuilt from the store when it is opened.
VERSION = 1
# Hiragana, katakana, CJK ideographs (with extensions A-F and compatibility ones), Hangul.
_CJK_RUN = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]+"
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
USER_DICT_MAX_BYTES = 16 * 1024 * 1024
USER_WORD_MAX_CHARS = 64


def _user_words(path: Path) -> list[tuple[str, int | None]]:
    """jieba's user dictionary format: one word per line, optionally followed by its
    frequency and a part-of-speech tag (ignored here); `#` starts a comment."""
    try:
        if path.stat().st_size > USER_DICT_MAX_BYTES:
            raise StoreError(
                f"the keyword user dictionary {path} is over {USER_DICT_MAX_BYTES} bytes",
                hint="RAG_KEYWORD_USER_DICT takes a list of domain words, one per line",
            )
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"cannot read the keyword user dictionary {path}: {exc}",
            hint="RAG_KEYWORD_USER_DICT must name a UTF-8 text file, or be unset",
        ) from exc
    return [_user_word(line, path, number) for number, line in _entries(lines)]


def _entries(lines: list[str]) -> list[tuple[int, str]]:
    return [
        (number, line.strip())
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _user_word(line: str, path: Path, number: int) -> tuple[str, int | None]:
    fields = line.split()
    word = unicodedata.normalize("NFKC", fields[0])
    frequency = fields[1] if len(fields) > 1 else None
    if len(word) > USER_WORD_MAX_CHARS or (frequency is not None and not frequency.isdigit()):
        raise StoreError(
            f"line {number} of the keyword user dictionary {path} is not `word [frequency] "
            f"[tag]` with a word of at most {USER_WORD_MAX_CHARS} characters: {line[:80]!r}",
        )
    return word, int(frequency) if frequency is not None else None


def cjk_share(text: str) -> float:
    """The share of the text's letters that are CJK characters."""
    letters = sum(ch.isalpha() for ch in text)
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return cjk / letters if letters else 0.0


class Segmenter:
    """Turns text into the space-separated terms the keyword index stores and searches."""

    def __init__(self, user_dict: Path | None = None) -> None:
        words = _user_words(user_dict) if user_dict else []
        self._cut: Callable[[str], list[str]] = rjieba.cut_for_search
        if words:
            # A private dictionary: the module's shared one stays as jieba ships it.
            jieba = rjieba.Jieba()
            for word, frequency in words:
                jieba.add_word(word, frequency, None)
            self._cut = jieba.cut_for_search
        listed = "\n".join(f"{word}\t{frequency}" for word, frequency in sorted(words, key=str))
        digest = hashlib.sha256(listed.encode()).hexdigest()[:16]
        # Names the analysis: an index made with another one is rebuilt on open.
        self.fingerprint = f"segmentation-v{VERSION}-user-{digest if words else 'none'}"

    def expand(self, text: str) -> str:
        """The text with each CJK run replaced by its words and bigrams; the rest as is."""
        text = unicodedata.normalize("NFKC", text)
        if not _CJK_RUN.search(text):
            return text
        return _CJK_RUN.sub(lambda run: f" {' '.join(self.terms(run.group()))} ", text)

    def terms(self, run: str) -> list[str]:
        """The words of two or more characters in a run of CJK text, then its bigrams (the
        run itself when it is one character)."""
        words = [w for w in self._cut(run) if len(w) > 1] if _HAN.search(run) else []
        bigrams = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
        return words + bigrams
