"""The writer that puts package files on disk past the page cache, and the spool that holds a merged
PDF in memory until it is copied into its volume (direct.py): exact bytes and hashes at every block
and buffer boundary, ZIP members equal to zipfile's own, short sources refused."""

import errno
import fcntl
import hashlib
import io
import os
import zipfile
import zlib

import pytest

from reports.packages.direct import BLOCK, BUFFER, BUFFERS, DirectWriter, ShortSourceError, Spool
from reports.packages.volume_zip import add_bytes


def _pattern(size: int, seed: int = 0) -> bytes:
    return bytes((seed + i * 7) % 251 for i in range(size % 251)) + os.urandom(size - size % 251)


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, BUFFER - 1, BUFFER, BUFFER + 1, 2 * BUFFER + 3])
def test_written_file_has_exactly_the_bytes_and_their_hashes(tmp_path, size):
    data = _pattern(size)
    with DirectWriter(tmp_path / "out") as writer:
        for start in range(0, size, 5000):  # qpdf-sized writes, across block and buffer edges
            writer.write(data[start : start + 5000])
    assert (tmp_path / "out").read_bytes() == data
    assert writer.tell() == size
    assert writer.sha256 == hashlib.sha256(data).hexdigest()


def test_files_and_streams_copied_in_between_writes(tmp_path):
    first, second = _pattern(BUFFER + 17, 1), _pattern(3 * BLOCK + 5, 2)
    (tmp_path / "first").write_bytes(first)
    with DirectWriter(tmp_path / "out") as writer:
        writer.write(b"head")
        writer.copy_from(tmp_path / "first", len(first))
        writer.copy_from(io.BytesIO(second + b"never read"), len(second))
        writer.write(b"tail")
    expected = b"head" + first + second + b"tail"
    assert (tmp_path / "out").read_bytes() == expected
    assert writer.sha256 == hashlib.sha256(expected).hexdigest()


def test_writes_bypass_the_page_cache_where_the_filesystem_allows(tmp_path):
    try:
        os.close(os.open(tmp_path / "probe", os.O_WRONLY | os.O_CREAT | os.O_DIRECT))
    except OSError:
        pytest.skip("this filesystem refuses O_DIRECT (tmpfs?)")
    with DirectWriter(tmp_path / "out") as writer:
        writer.write(b"x" * 10)
    # On a filesystem that takes O_DIRECT (ext4, xfs: CI's and the county's), the writer uses it to the end.
    assert writer.direct
    assert (tmp_path / "out").read_bytes() == b"x" * 10


@pytest.mark.parametrize("source", ["path", "stream"])
def test_a_source_shorter_than_announced_is_refused(tmp_path, source):
    (tmp_path / "short").write_bytes(b"x" * 100)
    short = tmp_path / "short" if source == "path" else io.BytesIO(b"x" * 100)
    with pytest.raises(ShortSourceError) as caught, DirectWriter(tmp_path / "out") as writer:
        writer.copy_from(short, 110)
    assert caught.value.missing == 10


def test_a_failed_write_reaches_the_caller(tmp_path, monkeypatch):
    """A full disk while the writing thread writes: the caller's next write or the close raises it."""

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space left"), DirectWriter(tmp_path / "out") as writer:
        writer.write(b"x" * (5 * BUFFER))


def test_a_writer_gets_none_of_the_bytes_an_earlier_one_left_in_its_reused_buffers(tmp_path):
    with DirectWriter(tmp_path / "first") as first:
        first.write(b"\xff" * (BUFFERS * BUFFER))
    with DirectWriter(tmp_path / "second") as second:
        second.write(b"short")
    assert (tmp_path / "second").read_bytes() == b"short"
    assert (tmp_path / "first").read_bytes() == b"\xff" * (BUFFERS * BUFFER)


def test_the_writer_never_goes_back(tmp_path):
    with DirectWriter(tmp_path / "out") as writer:
        writer.write(b"abc")
        assert writer.seek(3) == 3  # where it is: zipfile checks this much
        with pytest.raises(OSError, match="forwards"):
            writer.seek(0)


def test_members_are_byte_identical_to_zipfiles_own(tmp_path):
    """The volume writer writes each member's header once, final; zipfile writes it, then goes back to
    fill in the CRC and sizes. The archives must still be the same bytes (readers, verify_package and
    earlier packages' hashes depend on it)."""
    members = [
        ("封面.pdf", b"%PDF-1.4 cover"),
        ("一、依法全面履行政府职能/材料-v1.pdf", _pattern(BUFFER + 9)),
        ("空.txt", b""),
    ]
    with DirectWriter(tmp_path / "ours.zip") as writer:
        archive = zipfile.ZipFile(writer, "w", zipfile.ZIP_STORED)
        for name, data in members:
            add_bytes(archive, name, data)
        archive.close()
    theirs = io.BytesIO()
    with zipfile.ZipFile(theirs, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    assert (tmp_path / "ours.zip").read_bytes() == theirs.getvalue()


@pytest.mark.parametrize("refused_at", ["open", "write"])
def test_the_same_file_where_the_filesystem_refuses_direct_io(tmp_path, monkeypatch, refused_at):
    """tmpfs and some network filesystems refuse O_DIRECT, when the file is opened or only at its first
    write: the file then goes through the page cache, byte for byte the same."""
    data = _pattern(2 * BUFFER + BLOCK + 5)
    with DirectWriter(tmp_path / "direct") as direct:
        direct.write(data)
    refused = []
    real_open, real_write = os.open, os.write

    def open_refusing(path, flags, *args, **kwargs):
        if refused_at == "open" and flags & os.O_DIRECT:
            refused.append(path)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args, **kwargs)

    def write_refusing(fd, chunk):
        if refused_at == "write" and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(fd)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, chunk)

    monkeypatch.setattr(os, "open", open_refusing)
    monkeypatch.setattr(os, "write", write_refusing)
    with DirectWriter(tmp_path / "plain") as plain:
        plain.write(data)
    assert refused and not plain.direct
    assert (tmp_path / "plain").read_bytes() == (tmp_path / "direct").read_bytes() == data
    assert plain.sha256 == direct.sha256


@pytest.mark.parametrize("limit", [0, BUFFER, 3 * BUFFER])
@pytest.mark.parametrize("size", [0, 1, BUFFER - 1, BUFFER, 2 * BUFFER + 5, 4 * BUFFER + 1])
def test_a_spool_gives_back_exactly_its_bytes_and_their_hashes(tmp_path, size, limit):
    """In memory up to its limit, the rest in its overflow file: the copy is the same either way."""
    data = _pattern(size, 3)
    with Spool(tmp_path / "overflow", limit=limit) as spool:
        for start in range(0, size, 7000):  # qpdf-sized writes
            spool.write(data[start : start + 7000])
        assert spool.tell() == size
        assert spool.sha256 == hashlib.sha256(data).hexdigest()
        assert spool.crc32 == zlib.crc32(data)
        # Memory holds at most `limit`: beyond it, whole buffers went on into the file.
        spilled = (tmp_path / "overflow").stat().st_size if (tmp_path / "overflow").exists() else 0
        assert spilled == max(0, (size // BUFFER) * BUFFER - limit)
        with DirectWriter(tmp_path / "out") as writer:
            writer.write(b"head")
            spool.copy_into(writer)
            writer.write(b"tail")
    assert (tmp_path / "out").read_bytes() == b"head" + data + b"tail"
    assert not (tmp_path / "overflow").exists()  # closing removes it


def test_a_spool_closed_before_it_is_copied_leaves_no_overflow(tmp_path):
    spool = Spool(tmp_path / "overflow", limit=0)
    spool.write(_pattern(2 * BUFFER))
    assert (tmp_path / "overflow").exists()
    spool.close()  # as the worker does when qpdf fails half-way
    assert list(tmp_path.iterdir()) == []
