"""Build-time export of the embedding model to ONNX (needs the `export` dependency group).

Run once per model pin, by the image's model stage and by developers:

    uv run --group export python -m model_export --out models/all-MiniLM-L6-v2

The service itself only needs onnxruntime + tokenizers and never imports torch.
"""
