"""python -m src.sync SOURCE [--collection C] [--delete] [--dry-run]: keep a folder or an
S3 prefix in sync with a collection. The service is RAG_API_URL (default
http://localhost:8000), its key RAG_API_KEY (never an argument: a command line is visible to
every user of the machine). Exit status: 0 in sync, 2 some files refused (listed), 1 the
sync could not run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from src.sync.client import ApiClient, SyncError
from src.sync.run import Summary, SyncOptions, sync
from src.sync.sources import open_origin

DEFAULT_API = "http://localhost:8000"
BAR = 30


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m src.sync", description=__doc__)
    parser.add_argument("source", help="a folder, or s3://bucket/prefix")
    parser.add_argument("--collection", default="default", help="where its documents go")
    parser.add_argument("--delete", action="store_true", help="remove documents whose file is gone")
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change; change nothing"
    )
    parser.add_argument(
        "--as", dest="label", default="", help="a folder's name in sources (default: its own)"
    )
    parser.add_argument("--jobs", type=int, default=4, help="files read and uploaded at once")
    parser.add_argument("--api", default=os.environ.get("RAG_API_URL", DEFAULT_API))
    parser.add_argument("--s3-endpoint", default=os.environ.get("AWS_ENDPOINT_URL_S3"))
    return parser.parse_args(argv)


def _bar(summary: Summary, total: int) -> None:
    filled = BAR * summary.done // max(total, 1)
    line = f"\r[{'#' * filled}{'.' * (BAR - filled)}] {summary.done}/{total}"
    sys.stderr.write(line)
    if summary.done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def report(summary: Summary, dry_run: bool) -> str:
    """The summary as printed: counts, then every refusal with its reason."""
    verb = "would be " if dry_run else ""
    lines = [
        f"{verb}added {summary.added}, {verb}replaced {summary.replaced}, "
        f"unchanged {summary.unchanged}, {verb}removed {summary.removed}, "
        f"refused {len(summary.refused)}"
    ]
    lines += [f"refused {source}: {why}" for source, why in summary.refused]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    options = SyncOptions(args.collection, args.delete, args.dry_run, max(args.jobs, 1))
    try:
        origin = open_origin(args.source, args.label, args.s3_endpoint)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    client = ApiClient(args.api, os.environ.get("RAG_API_KEY", ""))
    try:
        summary = sync(origin, client, options, _bar if sys.stderr.isatty() else None)
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(report(summary, options.dry_run))
    return 2 if summary.refused else 0


if __name__ == "__main__":
    sys.exit(main())
