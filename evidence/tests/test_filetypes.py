"""Content-based detection of evidence uploads: every file here is built with the real library for its format
(or byte-exact by hand where no writer is installed) and detected from disk."""

import io
import struct
import time
import zipfile
import zlib

import olefile
import pytest
from docx import Document
from openpyxl import Workbook
from PIL import Image

from evidence.filetypes import DetectedType, FileRefused, ZipLimits, detect, safe_display_name

# --- builders ---------------------------------------------------------------------------------------------------

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    # Colour 1 = black: a tree with a single child is trivially a valid red-black tree.
    fields = (encoded, len(encoded), kind, 1, NOSTREAM, NOSTREAM, child, b"", 0, 0, 0, start, size)
    return struct.pack("<64sHBBIII16sIQQIQ", *fields)


def ole_file(stream_name: str, data: bytes) -> bytes:
    """A minimal version 3 compound file (512-byte sectors) holding one stream in regular sectors.

    Layout: header, sector 0 = FAT, sector 1 = directory, sectors 2.. = stream data. The stream is padded to the
    4096-byte mini-stream cutoff so no mini FAT is needed.
    """
    data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\0")
    n = len(data) // 512
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<109I", 0, *[FREESECT] * 108)
    fat = [FATSECT, ENDOFCHAIN, *range(3, 2 + n), ENDOFCHAIN]
    fat_sector = struct.pack("<128I", *fat, *[FREESECT] * (128 - len(fat)))
    directory = _dir_entry("Root Entry", 5, 1, ENDOFCHAIN, 0) + _dir_entry(stream_name, 2, NOSTREAM, 2, len(data))
    directory += _dir_entry("", 0, NOSTREAM, 0, 0) * 2
    return header + fat_sector + directory + data


WORD_FIB = struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0x53, 0x409, 0, 0)  # wIdent, nFib, unused, lid, pnNext, flags
BIFF_BOF = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x600, 0x5, 0x2775, 0x7CD, 0, 0)


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zipcrypto_zip(name: str, data: bytes, password: bytes) -> bytes:
    """One stored member with traditional PKWARE encryption, the kind every archiver can write."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_byte(crc: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc_byte(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_byte(keys[2], keys[1] >> 24)

    def encrypt(plain: bytes) -> bytes:
        out = bytearray()
        for byte in plain:
            temp = (keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            update(byte)
        return bytes(out)

    for byte in password:
        update(byte)
    crc = zlib.crc32(data)
    body = encrypt(bytes(11) + bytes([crc >> 24])) + encrypt(data)
    encoded = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x801, 0, 0, 0x21, crc, len(body), len(data), len(encoded), 0)
    central = struct.pack(
        "<4s6H3L5H2L",
        b"PK\x01\x02",
        20,
        20,
        0x801,
        0,
        0,
        0x21,
        crc,
        len(body),
        len(data),
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    central += encoded
    offset = len(local) + len(encoded) + len(body)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), offset, 0)
    return local + encoded + body + central + end


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of one real file per accepted format, built once per module."""
    from weasyprint import HTML

    folder = tmp_path_factory.mktemp("samples")
    HTML(string="<p>测试</p>").write_pdf(folder / "a.pdf")
    document = Document()
    document.add_paragraph("2024年工作总结")
    document.save(folder / "a.docx")
    workbook = Workbook()
    workbook.active["A1"] = "指标"
    workbook.save(folder / "a.xlsx")
    Image.new("RGB", (8, 8), "red").save(folder / "a.jpg", "JPEG")
    Image.new("RGB", (8, 8), "blue").save(folder / "a.png", "PNG")
    files = {ext: (folder / f"a.{ext}").read_bytes() for ext in ("pdf", "docx", "xlsx", "jpg", "png")}
    files["pptx"] = zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"><Override PartName="/ppt/presentation.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/officeDocument" Target="ppt/presentation.xml"/></Relationships>',
            "ppt/presentation.xml": b'<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats'
            b'.org/presentationml/2006/main"/>',
        }
    )
    files["ofd"] = zip_bytes(
        {
            "OFD.xml": b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
            b'Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
            "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>',
        }
    )
    files["mp4"] = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41") + struct.pack(
        ">I4s", 8, b"mdat"
    )
    files["doc"] = ole_file("WordDocument", WORD_FIB)
    files["xls"] = ole_file("Workbook", BIFF_BOF + struct.pack("<HH", 0x000A, 0))  # BOF, EOF
    files["ppt"] = ole_file("PowerPoint Document", struct.pack("<HHI", 0x0F, 0x03E8, 0))
    return files


@pytest.fixture
def write(tmp_path):
    def write(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def refused(path, **kwargs) -> str:
    with pytest.raises(FileRefused) as info:
        detect(path, **kwargs)
    return str(info.value)


# --- accepted formats -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind", "label", "content_type", "previewable"),
    [
        ("pdf", "pdf", "PDF 文档", "application/pdf", True),
        ("docx", "docx", "Word 文档", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
        ("xlsx", "xlsx", "Excel 表格", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
        (
            "pptx",
            "pptx",
            "PowerPoint 演示文稿",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            False,
        ),
        ("ofd", "ofd", "OFD 版式文档", "application/ofd", False),
        ("jpg", "jpg", "JPG 图片", "image/jpeg", True),
        ("png", "png", "PNG 图片", "image/png", True),
        ("mp4", "mp4", "MP4 视频", "video/mp4", False),
        ("doc", "doc", "Word 文档", "application/msword", False),
        ("xls", "xls", "Excel 表格", "application/vnd.ms-excel", False),
        ("ppt", "ppt", "PowerPoint 演示文稿", "application/vnd.ms-powerpoint", False),
    ],
)
def test_accepts_each_format_by_content(samples, write, sample, kind, label, content_type, previewable):
    detected = detect(write(f"upload.{sample}", samples[sample]), original_name=f"材料.{sample}")

    assert detected == DetectedType(kind, label, content_type, f".{kind}", previewable)


def test_the_hand_built_compound_files_are_real_ole2(samples, write):
    for sample, stream in (("doc", "WordDocument"), ("xls", "Workbook"), ("ppt", "PowerPoint Document")):
        with olefile.OleFileIO(str(write(f"x.{sample}", samples[sample]))) as ole:
            assert ole.listdir() == [[stream]]
            assert ole.get_size(stream) == 4096


@pytest.mark.parametrize(
    ("sample", "original_name", "kind", "label"),
    [
        ("doc", "报告.WPS", "wps", "WPS 文字"),
        ("xls", "统计.et", "et", "WPS 表格"),
        ("ppt", "汇报.dps", "dps", "WPS 演示"),
    ],
)
def test_wps_formats_are_told_apart_by_the_original_name(samples, write, sample, original_name, kind, label):
    detected = detect(write("upload.bin", samples[sample]), original_name=original_name)

    assert (detected.kind, detected.label, detected.extension) == (kind, label, f".{kind}")


def test_the_extension_does_not_matter_for_acceptance(samples, write):
    assert detect(write("报告.docx", samples["pdf"]), original_name="报告.docx").kind == "pdf"
    assert detect(write("noext", samples["png"])).kind == "png"


def test_limits_come_from_settings_when_not_given(samples, write, settings):
    path = write("a.zip", zip_bytes({"1.png": samples["png"], "2.png": samples["png"], "3.png": samples["png"]}))
    assert detect(path).kind == "zip"

    settings.EVIDENCE_ZIP_MAX_MEMBERS = 2
    assert "文件太多" in refused(path)


# --- zip archives -----------------------------------------------------------------------------------------------


def test_zip_of_accepted_files_is_accepted(samples, write):
    archive = zip_bytes(
        {"材料/报告.pdf": samples["pdf"], "材料/总结.docx": samples["docx"], "照片.png": samples["png"]}
    )

    assert detect(write("材料.zip", archive)).kind == "zip"


def test_zip_with_a_nested_zip_and_an_ole_document_is_accepted(samples, write):
    inner = zip_bytes({"通知.pdf": samples["pdf"], "会议记录.doc": samples["doc"]})
    archive = zip_bytes({"附件.zip": inner, "表格.xls": samples["xls"]})

    assert detect(write("outer.zip", archive)).kind == "zip"


def test_zip_nested_deeper_than_the_limit_is_refused(samples, write):
    archive = zip_bytes({"a.zip": zip_bytes({"b.zip": zip_bytes({"c.pdf": samples["pdf"]})})})

    assert "“a.zip/b.zip”嵌套过深" in refused(write("deep.zip", archive))


def test_zip_containing_an_executable_is_refused_naming_it(samples, write):
    archive = zip_bytes({"报告.pdf": samples["pdf"], "说明.exe": b"MZ\x90\x00" + bytes(200)})

    assert refused(write("a.zip", archive)) == "压缩包中的“说明.exe”是可执行程序，已拒绝。"


def test_executable_inside_a_nested_zip_is_named_with_its_path(samples, write):
    archive = zip_bytes({"附件.zip": zip_bytes({"setup.exe": b"MZ" + bytes(100)})})

    assert "“附件.zip/setup.exe”是可执行程序" in refused(write("a.zip", archive))


def test_gbk_member_names_from_chinese_windows_are_shown_readably(write):
    # zipfile always writes non-ASCII names as UTF-8, so patch in the GBK bytes Windows' own zip tool writes.
    archive = zip_bytes({"XXXX.txt": b"hello"}).replace(b"XXXX.txt", "说明.txt".encode("gbk"))

    assert "压缩包中的“说明.txt”是不支持的文件类型" in refused(write("a.zip", archive))


def test_zip_bomb_is_refused_from_the_central_directory_quickly(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("zeros.bin", "w") as member:
        for _ in range(300):
            member.write(chunk)
    assert path.stat().st_size < 1024 * 1024

    start = time.perf_counter()
    message = refused(path)
    elapsed = time.perf_counter() - start

    assert "“zeros.bin”压缩比异常" in message and "压缩炸弹" in message
    assert elapsed < 0.5


def test_zip_with_too_many_members_is_refused(samples, write):
    archive = zip_bytes({f"{i}.png": samples["png"] for i in range(6)})

    assert "文件太多（6 个），最多允许 5 个" in refused(write("a.zip", archive), limits=ZipLimits(max_members=5))


def test_zip_over_the_total_size_limit_is_refused(samples, write):
    archive = zip_bytes({"a.pdf": samples["pdf"]}, zipfile.ZIP_STORED)

    assert "解压后过大" in refused(write("a.zip", archive), limits=ZipLimits(max_total_bytes=100))


def test_zip_with_an_encrypted_member_is_refused(write):
    path = write("secret.zip", zipcrypto_zip("机密.pdf", b"%PDF-1.4 secret", b"pw"))
    with zipfile.ZipFile(path) as archive:  # a real, decryptable archive
        assert archive.read("机密.pdf", pwd=b"pw") == b"%PDF-1.4 secret"

    message = refused(path)

    assert "压缩包中的文件已加密，无法检查" in message and "机密.pdf" in message


def test_empty_zip_archives_are_refused(write):
    assert refused(write("empty.zip", zip_bytes({}))) == "该文件是空的压缩包。"
    assert refused(write("dirs.zip", zip_bytes({"空文件夹/": b""}))) == "该文件是空的压缩包。"


def test_unknown_and_empty_zip_members_are_refused(samples, write):
    assert "“readme.txt”是不支持的文件类型" in refused(write("a.zip", zip_bytes({"readme.txt": b"hello"})))
    assert "“空.pdf”是空文件" in refused(write("b.zip", zip_bytes({"空.pdf": b""})))


def test_truncated_zip_is_refused_as_damaged(samples, write):
    assert "已损坏" in refused(write("a.docx", samples["docx"][:300]))


# --- refused content --------------------------------------------------------------------------------------------


def test_empty_file_is_refused(write):
    assert refused(write("a.pdf", b"")) == "文件为空。"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("report.pdf", b"MZ\x90\x00\x03" + bytes(100), "该文件是可执行程序，已拒绝。"),
        ("a.docx", b"\x7fELF\x02\x01\x01" + bytes(100), "该文件是可执行程序，已拒绝。"),
        ("a.png", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(100), "该文件是可执行程序，已拒绝。"),
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n", "该文件是脚本文件，已拒绝。"),
        (
            "page.pdf",
            "\ufeff \n <!DOCTYPE html><html><body>x</body></html>".encode(),
            "该文件是网页（HTML）文件，已拒绝。",
        ),
        ("page.jpg", b"  <HTML><script>alert(1)</script>", "该文件是网页（HTML）文件，已拒绝。"),
        ("x.pdf", b"<script>alert(1)</script>", "该文件是网页（HTML）文件，已拒绝。"),
        (
            "x.pdf",
            b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"/>',
            "该文件是网页（HTML）文件，已拒绝。",
        ),
        ("x.pdf", "<html>".encode("utf-16"), "该文件是网页（HTML）文件，已拒绝。"),
    ],
)
def test_dangerous_content_is_refused_whatever_its_name(write, name, data, expected):
    assert refused(write(name, data), original_name=name) == expected


def test_unrecognised_content_is_refused_with_the_list_of_accepted_types(write):
    message = refused(write("notes.pdf", "只是一些文字".encode()))

    assert message == (
        "不支持的文件类型：只能上传 PDF、OFD、Word/WPS、Excel、PowerPoint、JPG/PNG 图片、MP4 视频，"
        "或只含这些文件的 ZIP 压缩包。"
    )


def test_heif_photo_is_not_mistaken_for_mp4(write):
    heic = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"heic", 0, b"mif1", b"heic")

    assert refused(write("IMG_0001.mp4", heic)).startswith("不支持的文件类型")


def test_ole_file_without_office_streams_is_refused(write):
    msi = ole_file("\x05SummaryInformation", b"\xfe\xff")

    assert refused(write("setup.doc", msi), original_name="setup.doc").startswith("不支持的文件类型")


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        ("WordDocument", struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0x53, 0x409, 0, 0x0100)),  # FIB fEncrypted
        ("Workbook", BIFF_BOF + struct.pack("<HHHH", 0x002F, 2, 0, 0)),  # BOF then FILEPASS
        ("EncryptedPackage", b"\x00" * 8),  # a docx/xlsx saved with a password
    ],
)
def test_password_protected_office_files_are_refused(write, stream, data):
    assert "已加密（设置了打开密码），无法检查" in refused(write("a.doc", ole_file(stream, data)))


def test_corrupt_ole_file_is_refused_as_damaged(samples, write):
    assert refused(write("a.doc", samples["doc"][:700])) == "该文件已损坏，无法读取其中的内容。"


# --- display names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\报告.docx", "报告.docx"),
        ("2024年工作总结（终稿）.docx", "2024年工作总结（终稿）.docx"),
        ("报\0告\x07.pdf", "报告.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        (".pdf", "未命名.pdf"),
        ("   ", "未命名"),
        ("...", "未命名"),
        ("  方案.pdf  ", "方案.pdf"),
        ("资料", "资料"),
    ],
)
def test_safe_display_name(name, expected):
    assert safe_display_name(name) == expected


def test_safe_display_name_uses_the_fallback_extension_only_when_nothing_is_left():
    assert safe_display_name("   ", fallback_ext=".pdf") == "未命名.pdf"
    assert safe_display_name("/tmp/", fallback_ext=".pdf") == "未命名.pdf"
    assert safe_display_name(".docx", fallback_ext=".pdf") == "未命名.docx"


def test_safe_display_name_normalises_to_nfc():
    assert safe_display_name("cafe\u0301.pdf") == "caf\u00e9.pdf"


def test_safe_display_name_shortens_long_names_keeping_the_extension():
    name = safe_display_name("关" * 300 + ".pdf")

    assert len(name) == 200 and name == "关" * 196 + ".pdf"
