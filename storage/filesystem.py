"""FilesystemStore: the embedded default backend, one file per object under a root directory.

Layout (see docs/storage.md)::

    root/tmp/put-*.tmp                  data being written; never visible under a key
    root/objects/ab/cd/<name>           the object, mode 0o444
    root/objects/ab/cd/<name>@sha256    its SHA-256, 64 hex digits and a newline, mode 0o444

``ab/cd`` are the first four hex digits of SHA-256(key), so 65 536 directories share the
objects evenly whatever the keys look like.  ``<name>`` is the key with ``/`` replaced by
``+``; neither ``+`` nor ``@`` is in the key alphabet, so the mapping is reversible and a
digest file can never be mistaken for an object.

Durability: data is written to a temp file, ``fdatasync``-ed every ``sync_every`` bytes (so
the kernel never holds gigabytes of dirty pages and then stalls on one huge flush; PERF.md
measured 268 vs 183 MB/s) and ``fsync``-ed at the end, made read-only, then *hard-linked* to
its final name.  ``link(2)`` fails with EEXIST instead of replacing, which is what makes the
publication both atomic and write-once (``rename(2)`` would silently overwrite).  The
directory is then ``fsync``-ed so the new name survives a power cut.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat as stat_mod
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from storage.base import READ_CHUNK_SIZE, ObjectInfo, ObjectStream, Sha256Hex, StoredObject
from storage.durable import SyncBehind, fsync_dir, unlink_quietly
from storage.errors import ObjectExistsError, ObjectNotFoundError, StorageUnavailableError
from storage.keys import validate_key, validate_prefix

MiB = 1024 * 1024
SIDECAR_SUFFIX = "@sha256"
_READ_ONLY = 0o444


class FilesystemStore:
    """Write-once objects in a local directory tree (see the module docstring for layout)."""

    def __init__(
        self,
        root: Path,
        *,
        sync_every: int = 64 * MiB,
        stale_temp_seconds: float = 3600.0,
    ) -> None:
        """Create the layout under ``root`` if needed and remove stale temp files.

        A temp file untouched for ``stale_temp_seconds`` was left by a crashed writer: live
        writers touch their file at least every ``put`` chunk, so an hour of silence is safe
        even when several processes share one root.
        """
        if sync_every <= 0:
            raise ValueError("sync_every must be positive")
        self.root = Path(root)
        self.sync_every = sync_every
        self._tmp = self.root / "tmp"
        self._objects = self.root / "objects"
        try:
            for directory in (self.root, self._tmp, self._objects):
                directory.mkdir(parents=True, exist_ok=True)
            self._remove_stale_temps(stale_temp_seconds)
        except OSError as exc:
            raise StorageUnavailableError(f"cannot prepare store root: {exc.strerror}") from exc

    # -- paths ---------------------------------------------------------------------------

    def _object_path(self, key: str) -> Path:
        fan = hashlib.sha256(key.encode("ascii")).hexdigest()
        return self._objects / fan[:2] / fan[2:4] / key.replace("/", "+")

    @staticmethod
    def _sidecar_path(path: Path) -> Path:
        return path.with_name(path.name + SIDECAR_SUFFIX)

    # -- writing -------------------------------------------------------------------------

    def put(self, key: str, chunks: Iterable[bytes]) -> StoredObject:
        validate_key(key)
        final = self._object_path(key)
        if self._is_file(final, key):
            # Refuse before consuming gigabytes; link() below closes the race atomically.
            raise ObjectExistsError("object already exists", key=key)
        tmp_name, size, digest = self._write_temp(chunks)
        try:
            self._publish(Path(tmp_name), final, key, digest)
        finally:
            unlink_quietly(tmp_name)
        return StoredObject(key=key, size=size, sha256=digest)

    def _write_temp(self, chunks: Iterable[bytes]) -> tuple[str, int, Sha256Hex]:
        """Stream ``chunks`` into a synced, read-only temp file; return its name, size, digest.

        Exceptions from ``chunks`` propagate untouched; I/O errors become
        StorageUnavailableError.  Either way the temp file is gone afterwards.
        """
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-", suffix=".tmp")
        except OSError as exc:
            raise StorageUnavailableError(f"cannot create temp file: {exc.strerror}") from exc
        hasher = hashlib.sha256()
        size = unsynced = 0
        try:
            with open(fd, "wb") as out:
                syncer = SyncBehind(out.fileno())
                try:
                    for chunk in chunks:  # the caller's exceptions pass through unchanged
                        if not chunk:
                            continue
                        hasher.update(chunk)
                        try:
                            out.write(chunk)
                            size += len(chunk)
                            unsynced += len(chunk)
                            if unsynced >= self.sync_every:
                                out.flush()
                                syncer.start()
                                unsynced = 0
                        except OSError as exc:
                            raise StorageUnavailableError(f"write failed: {exc.strerror}") from exc
                finally:
                    syncer.join()  # never close the fd under a running sync
                try:
                    syncer.wait()
                    out.flush()
                    os.fsync(out.fileno())
                    # Read-only before it gets a public name: no instant where it is writable.
                    os.fchmod(out.fileno(), _READ_ONLY)
                except OSError as exc:
                    raise StorageUnavailableError(f"sync failed: {exc.strerror}") from exc
        except BaseException:
            unlink_quietly(tmp_name)
            raise
        return tmp_name, size, Sha256Hex(hasher.hexdigest())

    def _publish(self, tmp: Path, final: Path, key: str, digest: Sha256Hex) -> None:
        try:
            self._make_fan_dirs(final.parent)
            try:
                os.link(tmp, final)
            except FileExistsError as exc:
                raise ObjectExistsError("object already exists", key=key) from exc
            # The digest is published after the object: a crash in between leaves an object
            # whose stat() reports sha256=None, never a digest without its object.
            sidecar_tmp = self._write_small_temp(f"{digest}\n".encode("ascii"))
            try:
                os.link(sidecar_tmp, self._sidecar_path(final))
            finally:
                unlink_quietly(sidecar_tmp)
            fsync_dir(final.parent)
        except OSError as exc:
            raise StorageUnavailableError(f"publish failed: {exc.strerror}") from exc

    def _write_small_temp(self, data: bytes) -> str:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="put-", suffix=".tmp")
        try:
            with open(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
                os.fchmod(out.fileno(), _READ_ONLY)
        except BaseException:
            unlink_quietly(name)
            raise
        return name

    def _make_fan_dirs(self, directory: Path) -> None:
        """Create ``objects/ab/cd`` and fsync each parent that gained an entry."""
        for level in (directory.parent, directory):
            if not level.is_dir():
                with contextlib.suppress(FileExistsError):  # another writer made it first
                    level.mkdir()
                fsync_dir(level.parent)

    # -- reading -------------------------------------------------------------------------

    def _is_file(self, path: Path, key: str) -> bool:
        try:
            return stat_mod.S_ISREG(os.stat(path).st_mode)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageUnavailableError(f"stat failed: {exc.strerror}", key=key) from exc

    def exists(self, key: str) -> bool:
        return self._is_file(self._object_path(validate_key(key)), key)

    def stat(self, key: str) -> ObjectInfo:
        path = self._object_path(validate_key(key))
        try:
            size = os.stat(path).st_size
        except FileNotFoundError as exc:
            raise ObjectNotFoundError("no such object", key=key) from exc
        except OSError as exc:
            raise StorageUnavailableError(f"stat failed: {exc.strerror}", key=key) from exc
        return ObjectInfo(key=key, size=size, sha256=self._read_sidecar(path, key))

    def _read_sidecar(self, path: Path, key: str) -> Sha256Hex | None:
        try:
            text = self._sidecar_path(path).read_text("ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageUnavailableError("cannot read digest file", key=key) from exc
        is_hex = len(text) == 64 and all(c in "0123456789abcdef" for c in text)
        return Sha256Hex(text) if is_hex else None

    def open(self, key: str) -> ObjectStream:
        path = self._object_path(validate_key(key))
        try:
            handle = path.open("rb")
            size = os.fstat(handle.fileno()).st_size
        except FileNotFoundError as exc:
            raise ObjectNotFoundError("no such object", key=key) from exc
        except OSError as exc:
            raise StorageUnavailableError(f"open failed: {exc.strerror}", key=key) from exc

        def chunks() -> Iterator[bytes]:
            while True:
                try:
                    chunk = handle.read(READ_CHUNK_SIZE)
                except OSError as exc:
                    raise StorageUnavailableError(f"read failed: {exc.strerror}", key=key) from exc
                if not chunk:
                    return
                yield chunk

        return ObjectStream(size, chunks(), handle.close)

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Validate now, not at the first next(): errors belong to the call that caused them.
        return self._iter_keys(validate_prefix(prefix))

    def _iter_keys(self, prefix: str) -> Iterator[str]:
        try:
            for fan1 in sorted(os.listdir(self._objects)):
                for fan2 in sorted(os.listdir(self._objects / fan1)):
                    for name in sorted(os.listdir(self._objects / fan1 / fan2)):
                        if name.endswith(SIDECAR_SUFFIX):
                            continue
                        key = name.replace("+", "/")
                        if key.startswith(prefix):
                            yield key
        except OSError as exc:
            raise StorageUnavailableError(f"listing failed: {exc.strerror}") from exc

    # -- housekeeping --------------------------------------------------------------------

    def check(self) -> None:
        """Prove the store can write: create, sync and remove a probe file in ``tmp/``."""
        try:
            # os.stat, not Path.is_dir(): the OSError says why (ENOENT, ENOTDIR, EIO...).
            if not stat_mod.S_ISDIR(os.stat(self._objects).st_mode):
                raise StorageUnavailableError("objects/ is not a directory")
            unlink_quietly(self._write_small_temp(b"probe\n"))
        except OSError as exc:
            raise StorageUnavailableError(f"store not writable: {exc.strerror}") from exc

    def _remove_stale_temps(self, older_than_seconds: float) -> None:
        cutoff = time.time() - older_than_seconds
        with os.scandir(self._tmp) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    unlink_quietly(entry.path)
