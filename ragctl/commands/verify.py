"""`ragctl verify IMAGE`: is the image complete, clean and runnable on its own?"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ragctl import config, verification
from ragctl.commands.common import add_target_arguments, targets
from ragctl.output import progress, result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="image reference to verify")
    parser.add_argument("--ready-timeout", type=float, default=config.READY_TIMEOUT_S)
    add_target_arguments(parser, many=False)


def main(args: argparse.Namespace) -> int:
    (docker,) = targets(args)
    progress(f"verifying {args.image}")
    findings = verification.verify(docker, args.image, args.ready_timeout)
    ok = all(f.ok for f in findings)
    lines = [f"{'ok  ' if f.ok else 'FAIL'} {f.check:<9} {f.detail}" for f in findings]
    result(
        {"image": args.image, "ok": ok, "findings": [asdict(f) for f in findings]}, "\n".join(lines)
    )
    return 0 if ok else 1
