#!/usr/bin/env bash
# Everything CI checks: lint, format, strict types, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --frozen --all-groups
ensure_model
uv run --frozen ruff check .
uv run --frozen ruff format --check .
uv run --frozen mypy
uv run --frozen pytest "$@"
