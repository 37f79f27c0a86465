"""CJK text in the keyword index: words and bigrams at index and query time, full-width
forms folded, an operator's user dictionary, and indexes built with an older analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from src.errors import StoreError
from src.models import ChunkRow, Filters, SourceDocument
from src.store.sqlite.store import SQLiteStore
from src.text.segmentation import Segmenter

DIM = 8
# From the reference's deep-clean section: no spaces anywhere in the run.
REFERENCE = "定期执行深度清理可以释放磁盘空间，构建时间：1-2分钟。"
# An invented product name: no dictionary knows it.
INVENTED = "犸骉"


def _add(store: SQLiteStore, name: str, text: str) -> str:
    source = SourceDocument(text=text, title=name, content_hash=name, media_type="text/plain")
    vectors = np.ones((1, DIM), dtype=np.float32) / np.sqrt(DIM)
    return store.add_document(source, [ChunkRow(0, text, 0, len(text))], vectors).record.id


def _docs(store: SQLiteStore, query: str) -> list[str]:
    return [hit.document_id for hit in store.hydrate(store.keyword_search(query, 10, Filters()))]


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    return tmp_path / "rag.sqlite3"


def test_expand_gives_words_then_bigrams_of_each_cjk_run() -> None:
    expanded = Segmenter().expand("磁盘空间 ok")
    assert expanded.split() == ["磁盘", "空间", "磁盘空间", "磁盘", "盘空", "空间", "ok"]


def test_expand_folds_full_width_forms_and_keeps_latin_text() -> None:
    assert Segmenter().expand("ＤＯＣＫＥＲ　１２３ running") == "DOCKER 123 running"


def test_expand_single_character_run_is_its_own_term() -> None:
    assert Segmenter().expand("a水b").split() == ["a", "水", "b"]


def test_keyword_search_finds_words_inside_an_unbroken_chinese_run(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    reference = _add(store, "reference", REFERENCE)
    _add(store, "other", "镜像推送到仓库以后在服务器上部署。")
    for query in ("磁盘空间", "深度清理", "构建时间", "释放"):
        assert _docs(store, query) == [reference], query


def test_keyword_search_finds_a_term_no_dictionary_knows(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    product = _add(store, "product", f"新款{INVENTED}控制器今天发布。")
    _add(store, "other", "控制器的旧款今天停产。")
    assert _docs(store, f"{INVENTED}的价格") == [product]


def test_keyword_search_mixes_scripts_and_full_width_punctuation(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    mixed = _add(store, "mixed", "Docker镜像（image）的构建缓存！")
    _add(store, "english", "Docker images are built in layers.")
    _add(store, "chinese", "缓存在磁盘上。")
    assert _docs(store, "ｄｏｃｋｅｒ镜像？")[0] == mixed
    assert _docs(store, "构建缓存，IMAGE")[0] == mixed


def test_user_dictionary_adds_whole_words(tmp_path: Path) -> None:
    words = tmp_path / "userdict.txt"
    words.write_text("# domain words\n雅米克斯 10 nz\n", encoding="utf-8")
    assert "雅米克斯" not in Segmenter().terms("雅米克斯控制器")
    assert "雅米克斯" in Segmenter(words).terms("雅米克斯控制器")


def test_user_dictionary_malformed_line_is_refused(tmp_path: Path) -> None:
    words = tmp_path / "userdict.txt"
    words.write_text("雅米克斯 often\n", encoding="utf-8")
    with pytest.raises(StoreError, match="line 1"):
        Segmenter(words)


def test_user_dictionary_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot read"):
        Segmenter(tmp_path / "absent.txt")


class _Unsegmented(Segmenter):
    """The analysis before CJK segmentation: text as is."""

    fingerprint = "before-segmentation"

    def __init__(self) -> None:
        pass

    def expand(self, text: str) -> str:
        return text


def test_open_rebuilds_index_made_with_another_analysis(database: Path) -> None:
    old = SQLiteStore(database, DIM, segmenter=_Unsegmented())
    reference = _add(old, "reference", REFERENCE)
    assert _docs(old, "磁盘空间") == []
    old.close()
    upgraded = SQLiteStore(database, DIM)
    assert _docs(upgraded, "磁盘空间") == [reference]
    upgraded.close()


def test_open_rebuilds_index_when_user_dictionary_changes(database: Path, tmp_path: Path) -> None:
    store = SQLiteStore(database, DIM)
    _add(store, "reference", REFERENCE)
    store.close()
    marker = database.with_name("rag.keyword") / "rag-analysis"
    before = marker.read_text()
    words = tmp_path / "userdict.txt"
    words.write_text("深度清理\n", encoding="utf-8")
    reopened = SQLiteStore(database, DIM, segmenter=Segmenter(words))
    assert marker.read_text() != before
    assert len(_docs(reopened, "深度清理")) == 1
    reopened.close()
