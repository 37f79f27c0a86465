#!/bin/sh
# Starts the service as the unprivileged `app` user.
#
# Docker creates a missing bind-mount source (`-v ./rag_local_storage:/app/rag_local_storage`)
# as root:root 0755, which `app` cannot write. When started as root, hand the storage
# directory (and only the store's own files and its indexes' files, never a recursive
# chown) to `app`, then drop privileges for good. Started as non-root already (`--user`), just run.
set -eu
storage="${RAG_STORAGE_DIR:-/app/rag_local_storage}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$storage"
  if ! setpriv --reuid=app --regid=app --init-groups test -w "$storage"; then
    chown app:app "$storage"
  fi
  for file in "$storage"/rag.sqlite3 "$storage"/rag.sqlite3-wal "$storage"/rag.sqlite3-shm \
    "$storage"/rag.hnsw "$storage"/rag.hnsw.json "$storage"/rag.owner.lock \
    "$storage"/rag.keyword "$storage"/rag.keyword/*; do
    if [ -e "$file" ] && [ "$(stat -c %u "$file")" != "$(id -u app)" ]; then
      chown app:app "$file"
    fi
  done
  exec setpriv --reuid=app --regid=app --init-groups --inh-caps=-all -- "$@"
fi
exec "$@"
