"""Where the bytes of photos and PDFs live, by their SHA-256: in the database by default (it
travels with backups and needs no other service), or in an S3-compatible bucket an operator
chooses (`MEDIA_STORAGE=s3`, `MEDIA_S3_BUCKET`, optional `MEDIA_S3_ENDPOINT_URL` and
`MEDIA_S3_PREFIX`; credentials as boto3 reads them). Every machine reads the same store."""

from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import MediaBlob
from portal.services.common import clock, dialects

KEY = "sandesh.media_storage"


class Storage(Protocol):
    """A content-addressed store: putting the same bytes twice keeps one copy."""

    def put(self, sha256: str, data: bytes, *, content_type: str) -> None: ...

    def get(self, sha256: str) -> bytes: ...


class DatabaseStorage:
    """Bytes in the `media_blobs` table, in the caller's transaction."""

    def put(self, sha256: str, data: bytes, *, content_type: str) -> None:
        values = {"sha256": sha256, "data": data, "size": len(data), "created_at": clock.now()}
        db.session.execute(
            dialects.insert(MediaBlob)
            .values(values)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )

    def get(self, sha256: str) -> bytes:
        data = db.session.scalar(sa.select(MediaBlob.data).where(MediaBlob.sha256 == sha256))
        if data is None:
            raise KeyError(sha256)
        return data


class S3Storage:
    """Bytes as objects `<prefix><sha256>` in an S3-compatible bucket (AWS, MinIO, R2 …)."""

    def __init__(self, bucket: str, *, prefix: str = "sandesh/media/", client=None, **options):
        self.bucket, self.prefix = bucket, prefix
        self.client = client if client is not None else _boto3_client(**options)

    def put(self, sha256: str, data: bytes, *, content_type: str) -> None:
        key = self.prefix + sha256
        if not self._exists(key):  # content-addressed: the same bytes are never put twice
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, sha256: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + sha256)
        except self.client.exceptions.NoSuchKey:
            raise KeyError(sha256) from None
        return answer["Body"].read()

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError:
            return False
        return True


def _boto3_client(**options):
    try:
        import boto3
    except ImportError:  # an operator's choice: boto3 is installed where S3 is used
        raise RuntimeError("MEDIA_STORAGE=s3 needs boto3: pip install 'sandesh[s3]'") from None
    return boto3.client("s3", **{k: v for k, v in options.items() if v})


def current_storage() -> Storage:
    """This app's store, made on first use from its settings."""
    extensions = current_app.extensions
    if KEY not in extensions:
        config = current_app.config
        if config.get("MEDIA_STORAGE", "database") == "s3":
            extensions[KEY] = S3Storage(
                config["MEDIA_S3_BUCKET"],
                prefix=config.get("MEDIA_S3_PREFIX") or "sandesh/media/",
                endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL"),
            )
        else:
            extensions[KEY] = DatabaseStorage()
    return extensions[KEY]
