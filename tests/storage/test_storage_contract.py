"""The ObjectStore contract, run against every backend (filesystem, S3 on moto, opt-in S3)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_backends import TEST_PART_SIZE, Backend

from storage.base import READ_CHUNK_SIZE, ObjectStore
from storage.errors import (
    InvalidKeyError,
    ObjectExistsError,
    ObjectNotFoundError,
    StorageUnavailableError,
)

MiB = 1024 * 1024
P = TEST_PART_SIZE


class ClientWentAway(Exception):
    """Stands for whatever the caller's iterator raises (disconnect, encryptor failure)."""


def chunked(data: bytes, size: int = 64 * 1024 + 7) -> Iterator[bytes]:
    # An odd chunk size, so chunk, sync and part boundaries never line up by accident.
    for start in range(0, len(data), size):
        yield data[start : start + size]


def failing_after(data: bytes, error: BaseException) -> Iterator[bytes]:
    yield from chunked(data)
    raise error


@pytest.mark.parametrize(
    "size", [0, 1, P - 1, P, P + 1, 2 * P + 3, 3 * MiB + 5], ids=lambda s: f"{s}B"
)
def test_round_trip(store: ObjectStore, new_key: Callable[[], str], size: int) -> None:
    data = os.urandom(size)
    key = new_key()
    stored = store.put(key, chunked(data))
    expected = hashlib.sha256(data).hexdigest()
    assert (stored.key, stored.size, stored.sha256) == (key, size, expected)
    info = store.stat(key)
    assert (info.key, info.size, info.sha256) == (key, size, expected)
    assert store.exists(key)
    with store.open(key) as stream:
        assert stream.size == size
        chunks = list(stream)
    assert all(0 < len(chunk) <= READ_CHUNK_SIZE for chunk in chunks)
    assert b"".join(chunks) == data


def test_put_accepts_any_iterable(store: ObjectStore, new_key: Callable[[], str]) -> None:
    key = new_key()
    assert store.put(key, [b"ab", b"", b"c"]).size == 3
    assert store.open(key).read_all() == b"abc"


def test_no_overwrite(store: ObjectStore, new_key: Callable[[], str]) -> None:
    key = new_key()
    store.put(key, [b"first"])
    with pytest.raises(ObjectExistsError) as caught:
        store.put(key, [b"second"])
    assert caught.value.code == "storage.object_exists"
    assert store.open(key).read_all() == b"first"


@pytest.mark.parametrize("size", [10, 2 * P + 1], ids=["single-part", "multipart"])
def test_no_overwrite_when_key_is_taken_during_the_upload(
    backend: Backend, new_key: Callable[[], str], size: int
) -> None:
    """The existence check before the upload passes; a rival writer then takes the key
    while our bytes stream.  The atomic publication (link / If-None-Match) must refuse."""
    store, rival = backend.make(), backend.make()
    key = new_key()

    def racing_chunks() -> Iterator[bytes]:
        yield b"x" * (size // 2)
        rival.put(key, [b"rival"])
        yield b"y" * (size - size // 2)

    with pytest.raises(ObjectExistsError):
        store.put(key, racing_chunks())
    assert store.open(key).read_all() == b"rival"
    assert list(store.keys(key)) == [key]


def test_not_found(store: ObjectStore, new_key: Callable[[], str]) -> None:
    key = new_key()
    assert not store.exists(key)
    with pytest.raises(ObjectNotFoundError) as caught:
        store.stat(key)
    assert caught.value.code == "storage.not_found"
    with pytest.raises(ObjectNotFoundError):
        store.open(key)


@pytest.mark.parametrize("size", [3, 2 * P + 1], ids=["within-first-part", "after-parts"])
@pytest.mark.parametrize(
    "error", [ClientWentAway("gone"), ConnectionResetError(104, "reset")], ids=type
)
def test_failing_iterator_leaves_nothing(
    store: ObjectStore, new_key: Callable[[], str], size: int, error: Exception
) -> None:
    key = new_key()
    with pytest.raises(type(error)) as caught:
        store.put(key, failing_after(os.urandom(size), error))
    # Re-raised unchanged: the very object, not a StorageError wrapping it.
    assert caught.value is error
    assert not store.exists(key)
    assert list(store.keys(key)) == []
    store.put(key, [b"retry"])  # the key is still free
    assert store.open(key).read_all() == b"retry"


def test_keys_lists_what_was_put(store: ObjectStore, new_key: Callable[[], str]) -> None:
    first, second = new_key(), new_key()
    prefix = first.split("/")[0] + "/"
    for key in (first, second):
        store.put(key, [key.encode()])
    assert sorted(store.keys(prefix)) == sorted([first, second])
    assert set(store.keys()) >= {first, second}
    assert list(store.keys(prefix + "zzz")) == []


def test_partially_read_stream_can_be_closed(
    store: ObjectStore, new_key: Callable[[], str]
) -> None:
    key = new_key()
    store.put(key, chunked(os.urandom(3 * READ_CHUNK_SIZE)))
    with store.open(key) as stream:
        assert len(next(stream)) == READ_CHUNK_SIZE
    assert list(stream) == []  # closed: nothing more, no error


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/items/a",
        "items/../a",
        "items/./a",
        "items//a",
        "items/a/",
        "Items/a",
        "items/a b",
        "items/é",
        "items/a\n",
        "..",
        ".",
        "a" * 201,
        "items\\a",
        "items/a%2f",
    ],
)
def test_invalid_keys(store: ObjectStore, key: str) -> None:
    for call in (store.exists, store.stat, store.open, lambda k: store.put(k, [b"x"])):
        with pytest.raises(InvalidKeyError) as caught:
            call(key)
        assert caught.value.code == "storage.invalid_key"
    with pytest.raises(InvalidKeyError):
        store.keys("../")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.one_of(st.text(), st.text(alphabet="ab./_-/\\\x00%+@é")))
def test_arbitrary_keys_validate_or_raise(store: ObjectStore, key: str) -> None:
    try:
        present = store.exists(key)
    except InvalidKeyError:
        return
    assert present is False


def test_check_passes(store: ObjectStore) -> None:
    store.check()


def test_check_and_calls_fail_when_backend_is_down(
    backend: Backend, new_key: Callable[[], str]
) -> None:
    broken = backend.make_broken()
    with pytest.raises(StorageUnavailableError) as caught:
        broken.check()
    assert caught.value.code == "storage.unavailable"
    assert caught.value.__cause__ is not None  # translated where it entered, not swallowed
    for call in (
        lambda: broken.put(new_key(), [b"x"]),
        lambda: broken.stat(new_key()),
        lambda: broken.exists(new_key()),
        lambda: list(broken.keys()),
    ):
        with pytest.raises(StorageUnavailableError):
            call()
