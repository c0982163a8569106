"""Content-based type detection for evidence uploads (佐证材料).

A file is accepted for what its bytes are, never for what its name claims: the extension only picks between
formats that share one container (Word vs WPS 文字 inside OLE2). Only the few bytes needed are read; zip archives
are checked from the central directory before any member is decompressed, and nothing is extracted to disk.
"""

import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import olefile
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

__all__ = ["DetectedType", "FileRefused", "ZipLimits", "detect", "safe_display_name"]


class FileRefused(Exception):
    """Raised with a clear Chinese message (str(exc)) saying why the file is refused."""


@dataclass(frozen=True)
class DetectedType:
    """What an accepted file is: ``kind`` is the short code stored with it, ``label`` is for people."""

    kind: str
    label: str
    content_type: str
    extension: str
    previewable: bool


@dataclass(frozen=True)
class ZipLimits:
    """Bounds checked from a zip's central directory before any member is decompressed."""

    max_members: int = 1000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: int = 100
    max_depth: int = 2


_OOXML = "application/vnd.openxmlformats-officedocument."
_TYPES = {
    "pdf": (gettext_noop("PDF 文档"), "application/pdf", ".pdf"),
    "ofd": (gettext_noop("OFD 版式文档"), "application/ofd", ".ofd"),
    "doc": (gettext_noop("Word 文档"), "application/msword", ".doc"),
    "docx": (gettext_noop("Word 文档"), _OOXML + "wordprocessingml.document", ".docx"),
    "wps": (gettext_noop("WPS 文字"), "application/wps-office.wps", ".wps"),
    "xls": (gettext_noop("Excel 表格"), "application/vnd.ms-excel", ".xls"),
    "xlsx": (gettext_noop("Excel 表格"), _OOXML + "spreadsheetml.sheet", ".xlsx"),
    "et": (gettext_noop("WPS 表格"), "application/wps-office.et", ".et"),
    "ppt": (gettext_noop("PowerPoint 演示文稿"), "application/vnd.ms-powerpoint", ".ppt"),
    "pptx": (gettext_noop("PowerPoint 演示文稿"), _OOXML + "presentationml.presentation", ".pptx"),
    "dps": (gettext_noop("WPS 演示"), "application/wps-office.dps", ".dps"),
    "jpg": (gettext_noop("JPG 图片"), "image/jpeg", ".jpg"),
    "png": (gettext_noop("PNG 图片"), "image/png", ".png"),
    "mp4": (gettext_noop("MP4 视频"), "video/mp4", ".mp4"),
    "zip": (gettext_noop("ZIP 压缩包"), "application/zip", ".zip"),
}
_PREVIEWABLE = {"pdf", "jpg", "png"}

_HEAD = 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Windows PE, ELF, then Mach-O (32/64-bit in both byte orders, and the universal "fat" binary).
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe")
_EXECUTABLE += (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (_OLE_MAGIC, "ole"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "empty-zip"),
    *((magic, "exe") for magic in _EXECUTABLE),
    (b"#!", "script"),
)
_REFUSED = {
    "empty-zip": gettext_noop("%(subject)s是空的压缩包。"),
    "exe": gettext_noop("%(subject)s是可执行程序，已拒绝。"),
    "script": gettext_noop("%(subject)s是脚本文件，已拒绝。"),
    "html": gettext_noop("%(subject)s是网页（HTML）文件，已拒绝。"),
}
_HTML_STARTS = ("<!doctype html", "<html", "<script")
# HEIF/AVIF photos share the ISO base media "ftyp" box with MP4 but are not video.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
# Small members can legitimately compress 100:1 or better (repetitive XML) and cannot be bombs at that size.
_RATIO_MIN_BYTES = 1024 * 1024


@dataclass
class _Walk:
    limits: ZipLimits
    members: int = 0  # across nested archives, so nesting cannot multiply the member budget


def detect(path: str | Path, *, original_name: str = "", limits: ZipLimits | None = None) -> DetectedType:
    """Identify an uploaded file by its content, or raise FileRefused with a Chinese reason.

    ``original_name`` only distinguishes WPS formats from Microsoft ones inside OLE2; it never decides acceptance.
    ``limits`` defaults to the EVIDENCE_ZIP_* settings.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as fp:
        return _detect_stream(fp, size, original_name, "", _Walk(limits or _limits_from_settings()), 0)


def safe_display_name(name: str, *, fallback_ext: str = "") -> str:
    """Clean a user-supplied file name for display and downloads; never use the result as a path.

    Keeps only the last path component (either separator), drops control characters, NFC-normalises, and keeps
    at most 200 characters with the extension preserved. Empty results become "未命名" + extension.
    """
    name = _clean(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot >= 0 else (name, "")
    if not (1 < len(ext) <= 16) or any(ch.isspace() for ch in ext):
        stem, ext = name, ""
    if not stem.strip(" ."):
        stem, ext = _("未命名"), ext or fallback_ext
    return stem[: max(200 - len(ext), 1)].rstrip() + ext


def _limits_from_settings() -> ZipLimits:
    default = ZipLimits()
    return ZipLimits(
        max_members=getattr(settings, "EVIDENCE_ZIP_MAX_MEMBERS", default.max_members),
        max_total_bytes=getattr(settings, "EVIDENCE_ZIP_MAX_TOTAL_BYTES", default.max_total_bytes),
        max_ratio=getattr(settings, "EVIDENCE_ZIP_MAX_RATIO", default.max_ratio),
    )


def _type(kind: str) -> DetectedType:
    label, content_type, extension = _TYPES[kind]
    return DetectedType(kind, _(label), content_type, extension, kind in _PREVIEWABLE)


def _clean(text: str) -> str:
    # Format characters include bidi overrides (U+202E) that make "a\u202efdp.exe" read as "aexe.pdf"; ZWJ/ZWNJ stay.
    text = unicodedata.normalize("NFC", text)
    return "".join(
        ch for ch in text if ch in "\u200c\u200d" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    )


def _refuse(message: str, where: str, **values) -> FileRefused:
    subject = _("压缩包中的“%(name)s”") % {"name": where} if where else _("该文件")
    return FileRefused(message % {"subject": subject, **values})


def _unsupported(where: str) -> FileRefused:
    allowed = _("PDF、OFD、Word/WPS、Excel、PowerPoint、JPG/PNG 图片、MP4 视频")
    if where:
        message = _("%(subject)s是不支持的文件类型：压缩包里只能有%(allowed)s或 ZIP 压缩包。")
        return _refuse(message, where, allowed=allowed)
    message = _("不支持的文件类型：只能上传 %(allowed)s，或只含这些文件的 ZIP 压缩包。")
    return FileRefused(message % {"allowed": allowed})


def _looks_like_html(head: bytes) -> bool:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, "ignore")
            break
    else:
        text = head.decode("latin-1")
    text = text.lstrip().lower()
    if text.startswith("<?xml"):  # XHTML: the html element follows the XML declaration
        return any(tag in text for tag in _HTML_STARTS)
    return text.startswith(_HTML_STARTS)


def _sniff(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # Checked after the executables: nothing stops a crafted PE header from carrying "ftyp" at offset 4.
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mp4"
    return "html" if _looks_like_html(head) else None


def _detect_stream(fp: IO[bytes], size: int, name: str, where: str, walk: _Walk, depth: int) -> DetectedType:
    if size == 0:
        raise FileRefused(_("文件为空。")) if not where else _refuse(_("%(subject)s是空文件。"), where)
    kind = _sniff(fp.read(_HEAD))
    fp.seek(0)
    if kind in {"pdf", "jpg", "png", "mp4"}:
        return _type(kind)
    if kind == "ole":
        return _detect_ole(fp, name, where)
    if kind == "zip":
        return _detect_zip(fp, where, walk, depth)
    if kind in _REFUSED:
        raise _refuse(_(_REFUSED[kind]), where)
    raise _unsupported(where)


def _stream_head(ole: olefile.OleFileIO, entry, length: int = 64) -> bytes:
    if entry.size < ole.minisectorcutoff:
        return ole.openstream(entry.name).read(length)
    # openstream() would load the whole stream into memory; the first regular sector holds all we need.
    ole.fp.seek(ole.sectorsize * (entry.isectStart + 1))
    return ole.fp.read(min(length, entry.size))


def _biff_has_filepass(head: bytes) -> bool:
    # A password-protected workbook has a FILEPASS record (0x002F) right after the leading BOF record.
    if len(head) < 4:
        return False
    _bof, length = struct.unpack_from("<HH", head)
    return head[4 + length : 6 + length] == b"\x2f\x00"


def _detect_ole(fp: IO[bytes], name: str, where: str) -> DetectedType:
    ext = name.lower()
    try:
        with olefile.OleFileIO(fp) as ole:
            streams = {e.name.lower(): e for e in ole.root.kids if e.entry_type == olefile.STGTY_STREAM}
            if "worddocument" in streams:
                kind = "wps" if ext.endswith(".wps") else "doc"
                head = _stream_head(ole, streams["worddocument"])
                locked = len(head) >= 12 and bool(struct.unpack_from("<H", head, 10)[0] & 0x0100)  # FIB fEncrypted
            elif "workbook" in streams or "book" in streams:
                kind = "et" if ext.endswith(".et") else "xls"
                locked = _biff_has_filepass(_stream_head(ole, streams.get("workbook") or streams["book"]))
            elif "powerpoint document" in streams:
                kind = "dps" if ext.endswith(".dps") else "ppt"
                user = _stream_head(ole, streams["current user"]) if "current user" in streams else b""
                locked = "encryptedsummary" in streams or user[12:16] == b"\xdf\xc4\xd1\xf3"  # encrypted headerToken
            else:
                # A password-protected docx/xlsx/pptx is an OLE2 file wrapping an "EncryptedPackage" stream.
                kind, locked = "", "encryptedpackage" in streams
    except Exception as exc:  # olefile signals malformed input with many exception types
        raise _refuse(_("%(subject)s已损坏，无法读取其中的内容。"), where) from exc
    if locked:
        raise _refuse(_("%(subject)s已加密（设置了打开密码），无法检查，请去掉密码后重新上传。"), where)
    if not kind:
        raise _unsupported(where)
    return _type(kind)


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    # Without the UTF-8 flag zipfile decodes names as cp437; Chinese Windows writes them in GBK.
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _too_many(where: str, count: int, limit: int) -> FileRefused:
    return _refuse(_("%(subject)s包含的文件太多（%(count)d 个），最多允许 %(max)d 个。"), where, count=count, max=limit)


def _check_limits(infos: list[zipfile.ZipInfo], limits: ZipLimits, where: str) -> None:
    if len(infos) > limits.max_members:
        raise _too_many(where, len(infos), limits.max_members)
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        size, limit = filesizeformat(total), filesizeformat(limits.max_total_bytes)
        raise _refuse(_("%(subject)s解压后过大（%(size)s），最多允许 %(max)s。"), where, size=size, max=limit)
    for info in infos:
        if info.flag_bits & 0x1:
            message = _("压缩包中的文件已加密，无法检查：“%(name)s”。请去掉密码后重新打包上传。")
            raise FileRefused(message % {"name": _display(where, info)})
        if info.file_size > _RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            message = _("%(subject)s压缩比异常（超过 %(ratio)d 倍），疑似压缩炸弹，已拒绝。")
            raise _refuse(message, _display(where, info), ratio=limits.max_ratio)
    packed = sum(i.compress_size for i in infos)
    if total > _RATIO_MIN_BYTES and total > limits.max_ratio * max(packed, 1):
        message = _("%(subject)s整体压缩比异常（超过 %(ratio)d 倍），疑似压缩炸弹，已拒绝。")
        raise _refuse(message, where, ratio=limits.max_ratio)


def _display(where: str, info: zipfile.ZipInfo) -> str:
    path = _clean(f"{where}/{_member_name(info)}" if where else _member_name(info))
    return path if len(path) <= 120 else path[:119] + "…"


def _detect_zip(fp: IO[bytes], where: str, walk: _Walk, depth: int) -> DetectedType:
    try:
        archive = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _refuse(_("%(subject)s已损坏，无法作为压缩包打开。"), where) from exc
    with archive:
        infos = archive.infolist()
        _check_limits(infos, walk.limits, where)
        names = {i.filename for i in infos}
        if "[Content_Types].xml" in names:
            for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                if any(n.startswith(prefix) for n in names):
                    return _type(kind)
        if "OFD.xml" in names:
            return _type("ofd")
        # Reading members in archive order keeps a nested, compressed archive to forward seeks.
        files = sorted((i for i in infos if not i.is_dir()), key=lambda i: i.header_offset)
        if not files:
            raise _refuse(_(_REFUSED["empty-zip"]), where)
        if depth >= walk.limits.max_depth:
            raise _refuse(_("%(subject)s嵌套过深：压缩包最多嵌套 %(max)d 层。"), where, max=walk.limits.max_depth)
        walk.members += len(files)
        if walk.members > walk.limits.max_members:
            raise _too_many(where, walk.members, walk.limits.max_members)
        for info in files:
            member = _display(where, info)
            try:
                with archive.open(info) as stream:
                    _detect_stream(stream, info.file_size, _member_name(info), member, walk, depth + 1)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
                raise _refuse(_("%(subject)s已损坏，无法读取。"), member) from exc
    return _type("zip")
