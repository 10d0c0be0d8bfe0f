"""A real S3-compatible server on loopback (moto's ThreadedMotoServer) for media tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

ACCESS_KEY, SECRET_KEY, REGION = "test-access-key", "test-secret-key", "us-east-1"


@dataclass
class S3:
    endpoint: str
    bucket: str
    client: Any

    @property
    def env(self) -> dict[str, str]:
        """fluxweb's environment variables for this bucket (as a deployment sets them)."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server, settings) -> S3:
    """A fresh private bucket, and this process's default storage pointed at it exactly as
    fluxweb/settings.py does when AWS_STORAGE_BUCKET_NAME is set."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    bucket = f"fluxweb-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    store = S3(s3_server, bucket, client)
    for name, value in store.env.items():
        setattr(settings, name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    return store
