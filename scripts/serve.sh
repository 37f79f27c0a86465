#!/usr/bin/env bash
# Run the service from source on http://localhost:8000 with the embedded defaults.
set -euo pipefail
if [ "$#" -gt 0 ]; then
  # It takes no arguments: settings come from the environment and .env (.env.example).
  echo "usage: scripts/serve.sh   (settings: environment variables or .env; see .env.example)"
  case "$1" in -h|--help) exit 0 ;; *) exit 2 ;; esac
fi
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --frozen --all-groups
ensure_model
exec uv run --frozen python main.py
