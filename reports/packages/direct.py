"""Package files written past the page cache (O_DIRECT), hashed on the way.

A package is written once and then read rarely (downloaded, verified), so its gigabytes have no
business in the page cache: written through it they evict the database's and the portal's hot pages,
and on the virtual machines the county runs on, getting memory for that cache is the slowest part of
an export (measured here: 5 GB through the cache took 5-18 s of kernel time, the same 5 GB written
directly 2 s). Where a filesystem refuses O_DIRECT (tmpfs, some network mounts), plain writes.

Direct I/O wants whole aligned blocks from aligned memory: the writer gathers everything in aligned
buffers, writes them out in whole blocks, and pads the last block, cutting the file back to its
length when it closes. Every byte is hashed (SHA-256) as its buffer goes out, so nothing is read
back afterwards. Hashing and writing happen on threads of their own (both release the GIL) while the
caller fills the next buffer, so the disk writes one buffer while the next is hashed.

A Spool holds a file that is made only to be copied into another (the merged volume PDF, whose ZIP
header needs its size and CRC-32 before its bytes) in the same kind of buffers, in memory.
"""

import errno
import fcntl
import hashlib
import mmap
import os
import queue
import threading
from pathlib import Path
from typing import BinaryIO

# zlib's CRC-32 (same values), 3× as fast with ISA-L's SIMD code: a merged volume PDF's every byte
# gets one for its ZIP header, and zlib's took ~5 % of an export's CPU.
from isal.isal_zlib import crc32

BLOCK = 4096  # the largest logical block size in use; a multiple of every smaller one
BUFFER = 8 * 1024 * 1024
BUFFERS = 4  # being filled, hashed, written, and one spare
SPOOL_LIMIT = 64 * 1024 * 1024  # what a Spool holds in memory before it goes on in a file
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


# Buffers are kept for the process's next file, not unmapped: a worker writes two files a volume, and
# getting fresh memory is what costs most on the county's virtual machines (see above). The pool
# never holds more than the most this process had in use at once.
_pool: list[mmap.mmap] = []
_pool_lock = threading.Lock()


def _take_buffer() -> mmap.mmap:
    with _pool_lock:
        if _pool:
            return _pool.pop()
    return mmap.mmap(-1, BUFFER)  # page-aligned, as O_DIRECT wants


def _give_back(buffers) -> None:
    with _pool_lock:
        _pool.extend(buffers)


class ShortSourceError(OSError):
    """A source file had fewer bytes than it should have."""

    def __init__(self, missing: int):
        super().__init__(f"missing {missing} bytes")
        self.missing = missing


class _Gathering:
    """Writes gathered into BUFFER-sized buffers, so that a caller's small writes (qpdf writes a few KB
    at a time) cost no system calls; a full buffer goes to _full(). File-like enough for zipfile
    (write, tell, flush, seek to where it is) and for qpdf's save()."""

    _buffer: mmap.mmap
    _fill = 0
    _handed = 0  # bytes in buffers gone to _full()

    def write(self, data) -> int:
        size = len(data) if isinstance(data, bytes) else memoryview(data).nbytes
        if self._fill + size < BUFFER:  # nearly every call
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
                self._full()
        return size

    def _full(self) -> None:
        raise NotImplementedError

    def tell(self) -> int:
        return self._handed + self._fill

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # zipfile checks that it can seek, to where it is; nothing here ever goes back.
        if (whence == os.SEEK_SET and offset == self.tell()) or (whence != os.SEEK_SET and offset == 0):
            return self.tell()
        raise OSError(errno.ESPIPE, f"{type(self).__name__} only writes forwards")

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        """Nothing: bytes go on a buffer at a time."""


class DirectWriter(_Gathering):
    """A new file written front to back, with its SHA-256 at the end.

    A failure of the writing thread (a full disk) is raised by the next call that hands it a buffer,
    at the latest by close()."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._fd, self.direct = _open_direct(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self._sha256 = hashlib.sha256()
        # A buffer goes from the caller to the hashing thread, to the writing thread, and back.
        self._spare: queue.SimpleQueue = queue.SimpleQueue()
        self._to_hash: queue.SimpleQueue = queue.SimpleQueue()  # (buffer, length); None: stop
        self._to_write: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._buffers = [_take_buffer() for _ in range(BUFFERS)]
        self._buffer = self._buffers[0]
        for buffer in self._buffers[1:]:
            self._spare.put(buffer)
        self.closed = False
        self._threads = [
            threading.Thread(target=self._hash_all, name="package-sha256", daemon=True),
            threading.Thread(target=self._write_all, name="package-write", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

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
            _give_back(self._buffers)

    def __enter__(self) -> "DirectWriter":
        return self

    def __exit__(self, kind, *_exc) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()

    # --- the writing thread ---

    def _full(self) -> None:
        self._hand_over()

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


class Spool(_Gathering):
    """A scratch file that lives in memory: the merged volume PDF as qpdf writes it, with its SHA-256
    and CRC-32, until it is copied into the volume ZIP (whose member header needs the size and CRC-32
    before the bytes). Held in pooled buffers rather than the page cache, so no fresh memory is needed
    for each volume and the bytes never reach the disk twice. Past ``limit`` bytes the rest goes on into
    the file ``overflow`` (read back by copy_into and removed): memory stays bounded whatever the
    volume's size."""

    def __init__(self, overflow: Path | str, limit: int = SPOOL_LIMIT):
        self.overflow = Path(overflow)
        self._limit = limit
        self._kept: list[mmap.mmap] = []  # full buffers: the first bytes
        self._file = None  # once memory is full, the bytes after the kept ones
        self._spilled = 0
        self._buffer = _take_buffer()
        self._sha256 = hashlib.sha256()
        self._crc = 0
        self.closed = False

    def _full(self) -> None:
        with memoryview(self._buffer) as view:
            self._sha256.update(view)
            self._crc = crc32(view, self._crc)
            if self._file is None and (len(self._kept) + 1) * BUFFER <= self._limit:
                self._kept.append(self._buffer)
                self._buffer = _take_buffer()
            else:
                if self._file is None:
                    self._file = self.overflow.open("wb")
                self._file.write(view)
                self._spilled += BUFFER
        self._handed += BUFFER
        self._fill = 0

    @property
    def sha256(self) -> str:
        whole = self._sha256.copy()
        with memoryview(self._buffer) as view:
            whole.update(view[: self._fill])
        return whole.hexdigest()

    @property
    def crc32(self) -> int:
        with memoryview(self._buffer) as view:
            return crc32(view[: self._fill], self._crc)

    def copy_into(self, writer: DirectWriter) -> None:
        """Append every byte written here to ``writer``."""
        for buffer in self._kept:
            with memoryview(buffer) as view:
                writer.write(view)
        if self._file is not None:
            self._file.close()
            writer.copy_from(self.overflow, self._spilled)
        with memoryview(self._buffer) as view:
            writer.write(view[: self._fill])

    def close(self) -> None:
        """Give the memory back and remove the overflow."""
        if not self.closed:
            self.closed = True
            if self._file is not None:
                self._file.close()
            self.overflow.unlink(missing_ok=True)
            _give_back([*self._kept, self._buffer])
            self._kept = []

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
