"""The streaming pipeline: plaintext chunks in, digests out, age ciphertext into the store.

Bytes flow through bounded queues between threads, so memory stays constant whatever the size
and the disk overlaps with the CPU (PERF.md)::

    event loop ──q──▶ sealer thread (SHA-256, age encrypt) ──q──▶ writer thread (store.put)
               └─q──▶ legacy thread (SHA-1, MD5; optional)

hashlib and PyNaCl release the GIL on large buffers, so the two cores are both used.  The event
loop only coalesces request chunks into ~1 MiB blocks and hands them over; it waits only when
a queue is full (back-pressure to the client).  ``abort()`` makes the writer's iterator raise,
so the store leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.age import Encryptor, X25519Recipient
from crypto.digests import Digests
from storage.base import ObjectStore, StoredObject

BLOCK = 1024 * 1024
QUEUE_DEPTH = 8  # blocks in flight per stage: at most ~QUEUE_DEPTH MiB per queue
_END = object()


class PipelineAborted(Exception):
    """Raised inside the writer's iterator when the upload is abandoned."""


@dataclass(frozen=True)
class SealResult:
    stored: StoredObject
    size: int  # plaintext bytes
    sha256: str
    sha1: str | None
    md5: str | None
    head: bytes  # the first bytes of the plaintext, for metadata extraction


class _Stage:
    """A thread consuming a bounded queue with ``work(item)``; ``_END`` stops it."""

    def __init__(self, name: str, work: Callable[[Any], None]) -> None:
        self.q: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.error: BaseException | None = None
        self._work = work
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while True:
            item = self.q.get()
            if item is _END:
                return
            if self.error is None:  # after a failure, drain without working
                try:
                    self._work(item)
                except BaseException as exc:
                    self.error = exc


async def _put(q: queue.Queue[Any], item: Any) -> None:
    try:
        q.put_nowait(item)
    except queue.Full:
        await asyncio.to_thread(q.put, item)


class SealingPipeline:
    """Seal and store one item.  Use: ``await feed(...)`` repeatedly, then ``await finish()``;
    on any error ``await abort()``."""

    def __init__(
        self,
        store: ObjectStore,
        key: str,
        recipients: Sequence[X25519Recipient],
        *,
        legacy_digests: bool,
        head_size: int = 256 * 1024,
        encrypt: bool = True,
    ) -> None:
        self._digests = Digests(sha256_only=True)
        self._encryptor = Encryptor(recipients) if encrypt else None
        self._sha1 = hashlib.sha1(usedforsecurity=False) if legacy_digests else None
        self._md5 = hashlib.md5(usedforsecurity=False) if legacy_digests else None
        self._head = bytearray()
        self._head_size = head_size
        self._pending = bytearray()
        self._out: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._aborted = False
        self._sealer = _Stage("vault-sealer", self._seal)
        self._legacy = _Stage("vault-legacy-digests", self._legacy_update) if self._sha1 else None
        self._writer_result: StoredObject | None = None
        self._writer_error: BaseException | None = None
        self._writer = threading.Thread(
            target=self._write, args=(store, key), name="vault-writer", daemon=True
        )
        self._sealer.thread.start()
        if self._legacy:
            self._legacy.thread.start()
        self._writer.start()

    # -- threads ---------------------------------------------------------------------------
    def _seal(self, block: bytes) -> None:
        self._digests.update(block)
        out = self._encryptor.update(block) if self._encryptor else block
        if out:
            self._out.put(out)

    def _legacy_update(self, block: bytes) -> None:
        assert self._sha1 is not None and self._md5 is not None
        self._sha1.update(block)
        self._md5.update(block)

    def _ciphertext(self) -> Iterator[bytes]:
        while True:
            item = self._out.get()
            if item is _END:
                return
            if isinstance(item, PipelineAborted):
                raise item
            yield item

    def _write(self, store: ObjectStore, key: str) -> None:
        try:
            self._writer_result = store.put(key, self._ciphertext())
        except BaseException as exc:
            self._writer_error = exc
            # Keep draining so the sealer never blocks on a full queue after a failure.
            while self._out.get() is not _END:
                pass

    # -- the event loop's side ----------------------------------------------------------------
    @property
    def head(self) -> bytes:
        """The first ``head_size`` bytes fed so far."""
        return bytes(self._head)

    async def feed(self, chunk: bytes) -> None:
        if self._writer_error is not None:
            raise self._writer_error
        if len(self._head) < self._head_size:
            self._head += chunk[: self._head_size - len(self._head)]
        self._pending += chunk
        if len(self._pending) >= BLOCK:
            await self._flush()

    async def _flush(self) -> None:
        if not self._pending:
            return
        block = bytes(self._pending)
        self._pending.clear()
        await _put(self._sealer.q, block)
        if self._legacy:
            await _put(self._legacy.q, block)

    async def _stop_stages(self) -> None:
        await _put(self._sealer.q, _END)
        if self._legacy:
            await _put(self._legacy.q, _END)
        await asyncio.to_thread(self._sealer.thread.join)
        if self._legacy:
            await asyncio.to_thread(self._legacy.thread.join)

    async def finish(self) -> SealResult:
        await self._flush()
        await self._stop_stages()
        failed = self._sealer.error or (self._legacy.error if self._legacy else None)
        if failed is None and self._encryptor is not None:
            try:
                await _put(self._out, self._encryptor.finalize())
            except BaseException as exc:
                failed = exc
        await _put(self._out, PipelineAborted("sealing failed") if failed else _END)
        if failed:
            await _put(self._out, _END)
        await asyncio.to_thread(self._writer.join)
        if failed:
            raise failed
        if self._writer_error is not None:
            raise self._writer_error
        assert self._writer_result is not None
        digests = self._digests.result()
        return SealResult(
            stored=self._writer_result,
            size=digests.size,
            sha256=digests.sha256,
            sha1=self._sha1.hexdigest() if self._sha1 else None,
            md5=self._md5.hexdigest() if self._md5 else None,
            head=bytes(self._head),
        )

    async def abort(self) -> None:
        """Abandon the upload: the store's iterator raises and leaves nothing behind."""
        if self._aborted:
            return
        self._aborted = True
        self._pending.clear()
        await self._stop_stages()
        await _put(self._out, PipelineAborted("upload abandoned"))
        await _put(self._out, _END)
        await asyncio.to_thread(self._writer.join)
