"""FilesystemStore specifics: read-only objects, temp cleanup, directory sync, confinement."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import InvalidKeyError, ObjectExistsError, StorageUnavailableError
from storage.filesystem import SIDECAR_SUFFIX, FilesystemStore

KEY = "items/0b7e6a52-8f6c-4c39-9d5e-3f1a7c1e2d40"


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def test_object_and_digest_are_read_only_and_fanned_out(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    stored = store.put(KEY, [b"ciphertext"])
    data, digest = files_under(tmp_path / "objects")
    assert digest.name == data.name + SIDECAR_SUFFIX
    assert data.name == KEY.replace("/", "+")
    # objects/ab/cd/<name>: two fan-out levels of two hex digits each.
    fan = data.relative_to(tmp_path / "objects").parts[:2]
    assert all(len(level) == 2 for level in fan)
    for path in (data, digest):
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert digest.read_text() == f"{stored.sha256}\n"
    assert files_under(tmp_path / "tmp") == []


def test_stale_temp_files_are_removed_at_construction(tmp_path: Path) -> None:
    FilesystemStore(tmp_path)
    stale, live = tmp_path / "tmp" / "put-crashed.tmp", tmp_path / "tmp" / "put-live.tmp"
    stale.write_bytes(b"half an upload")
    live.write_bytes(b"another process is writing this")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    FilesystemStore(tmp_path)
    assert not stale.exists()
    assert live.exists()


def test_publication_syncs_the_object_directory(tmp_path: Path) -> None:
    """The new name is made durable by fsync of its directory, which needs the directory
    opened with O_DIRECTORY; the "open" audit event observes the real call."""
    store = FilesystemStore(tmp_path)
    opened: list[tuple[str, int]] = []
    recording = True

    def hook(event: str, args: tuple[object, ...]) -> None:
        if recording and event == "open" and isinstance(args[2], int):
            opened.append((str(args[0]), args[2]))

    sys.addaudithook(hook)  # hooks cannot be removed; ``recording`` turns this one off
    try:
        store.put(KEY, [b"x"])
    finally:
        recording = False
    final_dir = str(next((tmp_path / "objects").rglob("*+*")).parent)
    assert any(path == final_dir and flags & os.O_DIRECTORY for path, flags in opened)


def test_missing_digest_file_reads_as_unknown(tmp_path: Path) -> None:
    # What a crash between publishing the object and its digest leaves behind.
    store = FilesystemStore(tmp_path)
    store.put(KEY, [b"x"])
    next((tmp_path / "objects").rglob(f"*{SIDECAR_SUFFIX}")).unlink()
    info = store.stat(KEY)
    assert (info.size, info.sha256) == (1, None)
    assert list(store.keys()) == [KEY]
    with pytest.raises(ObjectExistsError):
        store.put(KEY, [b"y"])


def test_root_under_a_regular_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StorageUnavailableError) as caught:
        FilesystemStore(tmp_path / "file" / "root")
    assert isinstance(caught.value.__cause__, NotADirectoryError)


def test_sync_every_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FilesystemStore(tmp_path, sync_every=0)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.text(alphabet="ab/._-\\\x00+@:~", max_size=12))
def test_keys_never_escape_the_root(tmp_path: Path, key: str) -> None:
    """Whatever the key, the store writes only inside its root and reads back the same key."""
    root = tmp_path / "root"
    store = FilesystemStore(root)
    try:
        store.put(key, [b"x"])
    except InvalidKeyError:
        return
    except ObjectExistsError:
        pass  # hypothesis repeats keys; the object from the earlier example is there
    outside = [p for p in tmp_path.rglob("*") if root not in p.parents and p != root]
    assert outside == []
    assert key in set(store.keys())
