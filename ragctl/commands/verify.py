"""`ragctl verify IMAGE`: is the image complete, clean and runnable on its own?"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

from ragctl import config, verification
from ragctl.commands.common import add_target_arguments, targets
from ragctl.docker import Docker
from ragctl.output import Report, progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="image reference to verify")
    parser.add_argument("--ready-timeout", type=float, default=config.READY_TIMEOUT_S)
    add_target_arguments(parser, many=False)


@dataclass(frozen=True)
class Options:
    docker: Docker
    image: str
    ready_timeout: float


def options(args: argparse.Namespace) -> Options:
    (docker,) = targets(args)
    return Options(docker, args.image, args.ready_timeout)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(options: Options) -> Report:
    progress(f"verifying {options.image}")
    findings = verification.verify(options.docker, options.image, options.ready_timeout)
    ok = all(f.ok for f in findings)
    lines = [f"{'ok  ' if f.ok else 'FAIL'} {f.check:<9} {f.detail}" for f in findings]
    data = {"image": options.image, "ok": ok, "findings": [asdict(f) for f in findings]}
    return Report(data, "\n".join(lines), 0 if ok else 1)
