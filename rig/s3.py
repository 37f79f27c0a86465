"""A real S3 API (SSM and Secrets Manager too) for tests and benchmarks: moto in server mode
on a free local port, with the environment an AWS client needs to reach it (fake
credentials, the endpoint)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.ecr import free_port

START_TIMEOUT_S = 60.0


@dataclass
class MotoS3:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a boto3 client (or `python -m src.sync`) needs to use this S3."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def aws_env(self) -> dict[str, str]:
        """The same for every AWS service moto serves (SSM, Secrets Manager...)."""
        env = self.env()
        del env["AWS_ENDPOINT_URL_S3"]
        return {**env, "AWS_ENDPOINT_URL": self.endpoint}

    def client(self, service: str = "s3") -> Any:
        import boto3

        env = self.env()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_s3(log: Path) -> MotoS3:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    s3 = MotoS3(port, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(s3.endpoint, timeout=2)  # noqa: S310 (a local URL)
            return s3
        except urllib.error.HTTPError:  # it answers: it is up
            return s3
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                break
            time.sleep(0.2)
    s3.stop()
    raise RuntimeError(f"moto's S3 server did not start:\n{log.read_text()[-2000:]}")
