"""python -m bench SUITE [options]: measure, write bench/results/<suite>.json."""

from __future__ import annotations

import argparse

from bench import report


def _records(args: argparse.Namespace) -> list[report.Record]:
    if args.suite == "serving":
        from bench import serving

        return serving.serving(args.chunks, args.reps, args.queries)
    if args.suite == "ship":
        from bench import ship

        return ship.ship(args.image, args.reps)
    from bench import build

    if args.suite == "reference":
        from bench import reference

        # Both Dockerfiles in the same run, side by side.
        return build.rebuilds(args.image, args.reps) + reference.rebuilds(args.image, args.reps)
    records = build.rebuilds(args.image, args.reps)
    records += build.update_cycles(args.image, args.cycles, args.port)
    if args.cold:
        records.insert(0, build.cold_build(args.image))
    return records


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=["serving", "build", "ship", "reference"])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per variant")
    parser.add_argument("--chunks", type=int, default=10_000, help="serving: chunks stored")
    parser.add_argument("--queries", type=int, default=300, help="serving: queries per mode")
    parser.add_argument("--image", default="rag-api-bench", help="build, ship: image name")
    parser.add_argument("--cycles", type=int, default=10, help="build: consecutive updates")
    parser.add_argument("--port", type=int, default=18000, help="build: host port for updates")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="build: also time a build from an empty builder cache (prunes it)",
    )
    args = parser.parse_args()
    records = _records(args)
    path = report.write(args.suite, records)
    print(report.table(records))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
