#!/usr/bin/env bash
# Run the service from source on http://localhost:8000 with the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --frozen --all-groups
ensure_model
exec uv run --frozen python main.py
