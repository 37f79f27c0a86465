"""ragctl entry point: parses the command line, runs one command, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from types import ModuleType

from ragctl.commands import (
    build,
    deploy,
    df,
    doctor,
    prune,
    push,
    rollback,
    update,
    verify,
    versions,
)
from ragctl.errors import RagctlError
from ragctl.output import Printer, Report, printer

COMMANDS: dict[str, tuple[ModuleType, str]] = {
    "build": (build, "build the image, tagged with the git version and latest"),
    "update": (update, "build, then deploy that build here (health-gated, with history), prune"),
    "push": (push, "build, then push the version to ECR (repository created when missing)"),
    "deploy": (deploy, "deploy a pushed version to Docker engines, health-gated, one by one"),
    "rollback": (rollback, "start a version from each target's deploy history"),
    "versions": (versions, "versions in ECR, on each target, and which one is live"),
    "prune": (prune, "routine clean-up (or --deep: everything unused, build cache included)"),
    "df": (df, "disk use against the budget"),
    "verify": (verify, "check an image is complete, clean, non-root and starts on its own"),
    "doctor": (doctor, "check the engine, BuildKit, the build cache, disk and the base image"),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ragctl", description=__doc__)
    top.add_argument("--json", action="store_true", help="print the result as JSON")
    top.add_argument("-v", "--verbose", action="store_true", help="log every command run")
    commands = top.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--json",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the result as JSON",
        )
        module.add_arguments(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = printer(args.json)  # the one place text or JSON is chosen
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="ragctl: %(message)s",
        stream=sys.stderr,
    )
    command: Callable[[argparse.Namespace], Report] = COMMANDS[args.command][0].main
    return _run(command, args, out)


def _run(
    command: Callable[[argparse.Namespace], Report], args: argparse.Namespace, out: Printer
) -> int:
    """Run the command and print what it returns, or its error, mapped to an exit code."""
    try:
        report = command(args)
    except RagctlError as exc:
        if os.environ.get("RAGCTL_DEBUG"):
            raise
        out.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ragctl: interrupted", file=sys.stderr)
        return 130
    out.result(report)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
