"""Package files written past the page cache (O_DIRECT), hashed on the way.

A package is written once and then read rarely (downloaded, verified), so its gigabytes have no
business in the page cache: written through it they evict the database's and the portal's hot pages,
and on the virtual machines the county runs on, getting memory for that cache is the slowest part of
an export (measured here: 5 GB through the cache took 5-18 s of kernel time, the same 5 GB written
directly 2 s). Where a filesystem refuses O_DIRECT (tmpfs, some network mounts), plain writes.

Direct I/O wants whole aligned blocks from aligned memory: the writer gathers everything in aligned
buffers, writes them out in whole blocks, and pads the last block, cutting the file back to its
length when it closes. Every byte is hashed (SHA-256, and the CRC-32 where asked) as its buffer goes
out, so nothing is read back afterwards. Hashing and writing happen on threads of their own (both
release the GIL) while the caller fills the next buffer, so the disk writes one buffer while the
next is hashed.
"""

import errno
import fcntl
import hashlib
import mmap
import os
import queue
import threading
import zlib
from pathlib import Path
from typing import BinaryIO

BLOCK = 4096  # the largest logical block size in use; a multiple of every smaller one
BUFFER = 8 * 1024 * 1024
BUFFERS = 4  # being filled, hashed, written, and one spare
_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux; elsewhere plain writes
_REFUSED = (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP)


def _open_direct(path: Path, flags: int) -> tuple[int, bool]:
    """The file opened with O_DIRECT where the filesystem takes it, else without."""
    if _DIRECT:
        try:
            return os.open(path, flags | _DIRECT, 0o644), True
        except OSError as exc:
            if exc.errno not in _REFUSED:
                raise
    return os.open(path, flags, 0o644), False


def _drop_direct(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_DIRECT)


class ShortSourceError(OSError):
    """A source file had fewer bytes than it should have."""

    def __init__(self, missing: int):
        super().__init__(f"missing {missing} bytes")
        self.missing = missing


class DirectWriter:
    """A new file written front to back, with its SHA-256 (and CRC-32 when ``crc`` is set) at the end.

    File-like enough for zipfile (write, tell, flush, seek to where it is) and for qpdf's save().
    Writes are gathered into BUFFER-sized buffers, so a caller's small writes cost no system calls.
    ``direct=False`` writes through the page cache: for a scratch file that is read back at once and
    deleted (its pages are then reused at once, where a round trip to the disk costs twice the time).
    A failure of the writing thread (a full disk) is raised by the next call that hands it a buffer,
    at the latest by close()."""

    def __init__(self, path: Path | str, *, crc: bool = False, direct: bool = True):
        self.path = Path(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        self._fd, self.direct = _open_direct(self.path, flags) if direct else (os.open(self.path, flags, 0o644), False)
        self._sha256 = hashlib.sha256()
        self._crc = 0 if crc else None
        # A buffer goes from the caller to the hashing thread, to the writing thread, and back.
        self._spare: queue.SimpleQueue = queue.SimpleQueue()
        self._to_hash: queue.SimpleQueue = queue.SimpleQueue()  # (buffer, length); None: stop
        self._to_write: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._buffer = mmap.mmap(-1, BUFFER)  # page-aligned, as O_DIRECT wants
        for _ in range(BUFFERS - 1):
            self._spare.put(mmap.mmap(-1, BUFFER))
        self._fill = 0
        self._handed = 0  # bytes handed to the threads
        self.closed = False
        self._threads = [
            threading.Thread(target=self._hash_all, name="package-sha256", daemon=True),
            threading.Thread(target=self._write_all, name="package-write", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # --- what zipfile and qpdf call ---

    def write(self, data) -> int:
        size = len(data) if isinstance(data, bytes) else memoryview(data).nbytes
        if self._fill + size < BUFFER:  # nearly every call: qpdf writes a few KB at a time
            self._buffer[self._fill : self._fill + size] = data
            self._fill += size
            return size
        data = memoryview(data).cast("B")
        done = 0
        while done < size:
            take = min(size - done, BUFFER - self._fill)
            self._buffer[self._fill : self._fill + take] = data[done : done + take]
            self._fill += take
            done += take
            if self._fill == BUFFER:
                self._hand_over()
        return size

    def tell(self) -> int:
        return self._handed + self._fill

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # zipfile checks that it can seek, to where it is; nothing here ever goes back.
        if (whence == os.SEEK_SET and offset == self.tell()) or (whence != os.SEEK_SET and offset == 0):
            return self.tell()
        raise OSError(errno.ESPIPE, "DirectWriter only writes forwards")

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        """Nothing: bytes go out a buffer at a time, and the last one when the file closes."""

    # --- copying files in ---

    def copy_from(self, source: Path | str | BinaryIO, size: int) -> None:
        """Append the first ``size`` bytes of ``source`` (a path, or a binary file read from where it
        is); ShortSourceError if it has fewer."""
        left = size
        opened = isinstance(source, str | Path)
        # Raw reads straight into the buffer: no copy in between.
        handle = open(source, "rb", buffering=0) if opened else source  # noqa: PTH123, SIM115
        try:
            while left:
                take = min(left, BUFFER - self._fill)
                with memoryview(self._buffer) as view:
                    got = handle.readinto(view[self._fill : self._fill + take])
                if not got:
                    break
                self._fill += got
                left -= got
                if self._fill == BUFFER:
                    self._hand_over()
        finally:
            if opened:
                handle.close()
        if left:
            raise ShortSourceError(left)

    # --- the end ---

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def crc32(self) -> int | None:
        return self._crc

    def close(self) -> None:
        """Write what is left (padded to a whole block, then cut back) and close."""
        if self.closed:
            return
        try:
            length = self.tell()
            if self._fill:
                self._hand_over(last=True)
            self._stop()
            if self._error is not None:
                raise self._error
            os.ftruncate(self._fd, length)
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Close without writing what is left (the caller removes the file)."""
        if not self.closed:
            self.closed = True
            self._stop()
            os.close(self._fd)

    def __enter__(self) -> "DirectWriter":
        return self

    def __exit__(self, kind, *_exc) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()

    # --- the writing thread ---

    def _hand_over(self, *, last: bool = False) -> None:
        if self._error is not None:
            raise self._error
        self._to_hash.put((self._buffer, self._fill))
        self._handed += self._fill
        self._fill = 0
        if not last:
            self._buffer = self._spare.get()  # once the threads are done with one

    def _stop(self) -> None:
        if self._threads[0].is_alive():
            self._to_hash.put(None)
        for thread in self._threads:
            thread.join()

    def _hash_all(self) -> None:
        while (item := self._to_hash.get()) is not None:
            buffer, length = item
            if self._error is None:
                try:
                    with memoryview(buffer) as view:
                        self._sha256.update(view[:length])
                        if self._crc is not None:
                            self._crc = zlib.crc32(view[:length], self._crc)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    self._error = exc
            self._to_write.put(item)
        self._to_write.put(None)

    def _write_all(self) -> None:
        while (item := self._to_write.get()) is not None:
            buffer, length = item
            if self._error is None:
                try:
                    self._write_out(buffer, length)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    self._error = exc
            self._spare.put(buffer)

    def _write_out(self, buffer: mmap.mmap, length: int) -> None:
        with memoryview(buffer) as view:
            padded = -(-length // BLOCK) * BLOCK if self.direct else length
            view[length:padded] = bytes(padded - length)  # only ever the file's last block
            try:
                done = os.write(self._fd, view[:padded])
            except OSError as exc:  # a filesystem that took O_DIRECT at open and refuses it now
                if not self.direct or exc.errno not in _REFUSED:
                    raise
                _drop_direct(self._fd)
                self.direct = False
                done = os.write(self._fd, view[:padded])
            while done < padded:  # a short write (a signal); never more than once in practice
                done += os.write(self._fd, view[done:padded])
