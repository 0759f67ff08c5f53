"""SealingPipeline on the real FilesystemStore: chunkings, digests, abort, failures, memory."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import random
import tracemalloc
from pathlib import Path

import pytest

from crypto import age
from storage.errors import ObjectExistsError
from storage.filesystem import FilesystemStore
from vault.intake.pipeline import BLOCK, SealingPipeline

IDENTITY = age.X25519Identity.generate()
RECOVERY = age.X25519Identity.generate()
RECIPIENTS = [IDENTITY.recipient, RECOVERY.recipient]


@pytest.fixture
def store(tmp_path: Path) -> FilesystemStore:
    return FilesystemStore(tmp_path / "objects")


def temp_files(store: FilesystemStore) -> list[str]:
    return os.listdir(store.root / "tmp")


def chunkings(data: bytes, rng: random.Random) -> list[bytes]:
    """Random cuts, including empty chunks and chunks larger than a block."""
    out, i = [], 0
    while i < len(data):
        n = rng.choice(
            [0, 1, 7, 4096, 65536, BLOCK - 1, BLOCK, BLOCK + 3, rng.randint(1, 3 * BLOCK)]
        )
        out.append(data[i : i + n])
        i += n
    return out


async def seal(store: FilesystemStore, key: str, pieces: list[bytes], legacy: bool) -> object:
    pipeline = SealingPipeline(store, key, RECIPIENTS, legacy_digests=legacy, head_size=1000)
    for piece in pieces:
        await pipeline.feed(piece)
    return await pipeline.finish()


SIZES = [0, 1, 999, 1000, 1001, 65536, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 12345]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("legacy", [True, False])
def test_random_chunkings_round_trip(store: FilesystemStore, size: int, legacy: bool) -> None:
    rng = random.Random(size * 2 + legacy)
    data = rng.randbytes(size)
    key = f"items/t-{size}-{int(legacy)}"
    result = asyncio.run(seal(store, key, chunkings(data, rng), legacy))
    ciphertext = store.open(key).read_all()
    assert age.decrypt(ciphertext, [IDENTITY]) == data
    assert age.decrypt(ciphertext, [RECOVERY]) == data
    assert result.size == size  # type: ignore[attr-defined]
    assert result.sha256 == hashlib.sha256(data).hexdigest()  # type: ignore[attr-defined]
    assert result.stored.sha256 == hashlib.sha256(ciphertext).hexdigest()  # type: ignore[attr-defined]
    assert result.stored.size == len(ciphertext)  # type: ignore[attr-defined]
    assert result.head == data[:1000]  # type: ignore[attr-defined]
    if legacy:
        assert result.sha1 == hashlib.sha1(data).hexdigest()  # type: ignore[attr-defined]
        assert result.md5 == hashlib.md5(data).hexdigest()  # type: ignore[attr-defined]
    else:
        assert result.sha1 is None and result.md5 is None  # type: ignore[attr-defined]
    assert temp_files(store) == []


def test_without_encryption_the_bytes_are_stored_as_given(store: FilesystemStore) -> None:
    data = os.urandom(3 * BLOCK + 5)

    async def run() -> None:
        p = SealingPipeline(store, "items/raw", [], legacy_digests=False, encrypt=False)
        for i in range(0, len(data), 70_000):
            await p.feed(data[i : i + 70_000])
        await p.finish()

    asyncio.run(run())
    assert store.open("items/raw").read_all() == data


@pytest.mark.parametrize("fed", [0, 10, 3 * BLOCK + 1])
def test_abort_leaves_nothing(store: FilesystemStore, fed: int) -> None:
    async def run() -> None:
        p = SealingPipeline(store, "items/aborted", RECIPIENTS, legacy_digests=True)
        if fed:
            await p.feed(os.urandom(fed))
        await p.abort()
        await p.abort()  # idempotent

    asyncio.run(run())
    assert list(store.keys()) == []
    assert temp_files(store) == []


def test_a_sealer_failure_propagates_and_stores_nothing(store: FilesystemStore) -> None:
    """The real encryptor, finalized underneath the pipeline, refuses the next block in the
    sealer thread: finish() must raise that error, and the store must hold nothing."""

    async def run() -> BaseException:
        p = SealingPipeline(store, "items/broken", RECIPIENTS, legacy_digests=True)
        await p.feed(os.urandom(100))
        assert p._encryptor is not None
        p._encryptor.finalize()  # the STREAM is closed: any further update fails
        for _ in range(3):
            await p.feed(os.urandom(BLOCK))
        with pytest.raises(Exception) as caught:
            await p.finish()
        return caught.value

    error = asyncio.run(run())
    assert not isinstance(error, AssertionError)
    assert list(store.keys()) == []
    assert temp_files(store) == []


def test_a_store_failure_surfaces_in_feed_or_finish(store: FilesystemStore) -> None:
    """The writer fails (the key is taken): the error reaches the event loop's side."""

    async def first() -> None:
        p = SealingPipeline(store, "items/taken", RECIPIENTS, legacy_digests=False)
        await p.feed(b"one")
        await p.finish()

    async def second() -> None:
        p = SealingPipeline(store, "items/taken", RECIPIENTS, legacy_digests=False)
        try:
            for _ in range(20):
                await p.feed(os.urandom(BLOCK))
            await p.finish()
        except BaseException:
            await p.abort()
            raise

    asyncio.run(first())
    with pytest.raises(ObjectExistsError):
        asyncio.run(second())
    assert list(store.keys()) == ["items/taken"]
    assert temp_files(store) == []


@pytest.mark.slow
def test_memory_stays_bounded_for_200_mib(store: FilesystemStore) -> None:
    """200 MiB in 64 KiB chunks: the peak of Python allocations stays at a few queue depths
    of blocks, not the size of the upload."""
    chunk = os.urandom(64 * 1024)
    total = 200 * 1024 * 1024

    async def run() -> object:
        p = SealingPipeline(store, "items/big", RECIPIENTS, legacy_digests=True)
        for _ in range(total // len(chunk)):
            await p.feed(chunk)
        return await p.finish()

    gc.collect()
    tracemalloc.start()
    try:
        result = asyncio.run(run())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == total  # type: ignore[attr-defined]
    assert store.stat("items/big").size > total
    assert peak < 48 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
