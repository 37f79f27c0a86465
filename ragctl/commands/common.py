"""Arguments several commands share."""

from __future__ import annotations

import argparse
import os

from ragctl import config


def add_remote_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the versions live in ECR (boto3 finds credentials and endpoints as usual)."""
    parser.add_argument(
        "--repository",
        default=os.environ.get("RAGCTL_ECR_REPOSITORY", config.ECR_REPOSITORY),
        help="ECR repository name (default %(default)s, or $RAGCTL_ECR_REPOSITORY)",
    )
    parser.add_argument("--region", help="AWS region (default: boto3's, e.g. $AWS_REGION)")


def add_ready_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=config.READY_TIMEOUT_S,
        help="seconds to wait for /ready (default %(default)s)",
    )
