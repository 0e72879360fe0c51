"""Uploads in any S3-compatible object store. The only module that imports boto3."""
from __future__ import annotations

from typing import Any, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import StorageError, valid_key

MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "S3Storage":
        if not config.get("S3_BUCKET"):
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET.")
        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            # Short timeouts and few retries: a page waiting on a dead store should fail, not hang.
            # SigV4 everywhere, presigned URLs included (boto3 presigns with SigV2 unless told).
            config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2},
                          s3={"addressing_style": "path"}, signature_version="s3v4"),
        )
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "")

    def _key(self, key: str) -> str:
        if not valid_key(key):
            raise ValueError(f"invalid storage key {key!r}")
        return self.prefix + key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not store {key}: {error}") from error

    def read(self, key: str) -> bytes | None:
        if not valid_key(key):
            return None
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise StorageError(f"could not read {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not read {key}: {error}") from error
        return response["Body"].read()

    def delete(self, key: str) -> None:
        if not valid_key(key):
            return
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not delete {key}: {error}") from error

    def signed_url(self, key: str, seconds: int, content_type: str, disposition: str) -> str:
        """A GET URL valid for `seconds`, answering with these Content-Type and Content-Disposition
        headers; for a reader the app has already checked (attachments). No network call."""
        return self.client.generate_presigned_url(
            "get_object", ExpiresIn=max(1, int(seconds)),
            Params={"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": content_type,
                    "ResponseContentDisposition": disposition, "ResponseCacheControl": "private, no-store"},
        )
