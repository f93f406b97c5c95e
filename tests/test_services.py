"""Smoke tests: each service fixture gives a real server that the official client can use.

Every test exercises the path our loaders depend on (COPY, multipart, resumable, staged
blocks), so a fixture that starts the wrong thing, or a server too lenient to be useful,
fails here first.
"""

from __future__ import annotations

import io
import os
from urllib.parse import urlsplit

import psycopg
import pytest
from azure.storage.blob import BlobServiceClient
from boto3.s3.transfer import TransferConfig
from google.cloud import storage

from tests.fixtures.services import (
    AzureContainer,
    GcsBucket,
    S3Bucket,
    s3_client,
    throwaway_pg_cluster,
)

MIB = 1 << 20


def payload(size: int) -> bytes:
    """Random bytes, so a dropped, repeated or reordered chunk cannot go unnoticed."""
    return os.urandom(size)


class ReadRecorder(io.BytesIO):
    """A file object that records how many bytes each non-empty read returned."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if chunk:
            self.reads.append(len(chunk))
        return chunk


def test_pg_database_loads_10000_rows_with_copy(pg_database: str) -> None:
    rows = [(i, f"name-{i}") for i in range(10_000)]
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)")
        with conn.cursor().copy("COPY t (id, name) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        count = conn.execute("SELECT count(*), count(DISTINCT name) FROM t").fetchone()
    assert count == (10_000, 10_000)


def test_pg_database_is_fresh_and_separate_from_the_server_default(
    pg_url: str, pg_database: str
) -> None:
    with psycopg.connect(pg_database) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert name is not None
    assert name[0].startswith("elt_test_")
    assert name[0] != urlsplit(pg_url).path.lstrip("/")
    assert tables == (0,)


def test_throwaway_pg_cluster_runs_its_own_server_and_stops_it(pg_url: str) -> None:
    with throwaway_pg_cluster() as url:
        assert urlsplit(url).port != urlsplit(pg_url).port
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_s3_bucket_round_trips_an_object(s3_bucket: S3Bucket) -> None:
    s3 = s3_client(s3_bucket.endpoint_url)
    data = payload(1024)
    s3.put_object(Bucket=s3_bucket.name, Key="dir/small.bin", Body=data)
    assert s3.get_object(Bucket=s3_bucket.name, Key="dir/small.bin")["Body"].read() == data


def test_s3_upload_above_threshold_goes_multipart_in_5_mib_parts(s3_bucket: S3Bucket) -> None:
    s3 = s3_client(s3_bucket.endpoint_url)
    data = payload(11 * MIB)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_fileobj(io.BytesIO(data), s3_bucket.name, "big.bin", Config=config)
    head = s3.head_object(Bucket=s3_bucket.name, Key="big.bin")
    assert head["ETag"].strip('"').endswith("-3")
    assert s3.get_object(Bucket=s3_bucket.name, Key="big.bin")["Body"].read() == data


def test_gcs_resumable_upload_in_1_mib_chunks_downloads_byte_exact(
    gcs_bucket: GcsBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_bucket.endpoint_url)
    bucket = storage.Client(project="test").bucket(gcs_bucket.name)
    data = payload(3 * MIB)
    source = ReadRecorder(data)
    bucket.blob("big.bin", chunk_size=MIB).upload_from_file(source)
    assert source.reads == [MIB, MIB, MIB]
    assert bucket.blob("big.bin").download_as_bytes() == data


def test_azure_upload_above_single_put_size_commits_staged_blocks(
    azure_container: AzureContainer,
) -> None:
    service = BlobServiceClient.from_connection_string(
        azure_container.conn_str, max_single_put_size=4 * MIB, max_block_size=4 * MIB
    )
    container = service.get_container_client(azure_container.name)
    data = payload(9 * MIB)
    container.upload_blob("big.bin", data)
    committed, uncommitted = container.get_blob_client("big.bin").get_block_list("committed")
    assert [block.size for block in committed] == [4 * MIB, 4 * MIB, MIB]
    assert uncommitted == []
    assert container.download_blob("big.bin").readall() == data
