"""Province-platform packages (DESIGN.md §3.7): layout, manifests, determinism, safe paths,
verification, and the export_package / verify_package commands."""

import io
import json
import os
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from evidence.services import evidence_approve
from luhsan_portal.testing import upload
from reports.packages.builder import build_package
from reports.packages.collect import BONUS_AREA, Options
from reports.packages.paths import MAX_COMPONENT, safe_component, unique_in_folder
from reports.packages.verify import verify

FORBIDDEN = re.compile(r'[\\:*?"<>|\x00-\x1f]')


@pytest.fixture
def approved(submit, office, pdf_bytes, png_bytes, docx_bytes):
    """司法局's evidence: two approved on indicator 1 (one also serving 2), one with an awkward
    title on 3, a pending one on 4 and an approved link-only item on 3."""
    shared = submit(
        codes=("1", "2"),
        title="权责清单调整文件",
        files=[upload("权责清单.pdf", pdf_bytes), upload("公开截图.png", png_bytes)],
    )
    photo = submit(codes=("1",), title="现场照片", files=[upload("照片.png", png_bytes)])
    awkward = submit(
        codes=("3",),
        title='决策目录: 2026/上半年 *草案?* "终稿" <公开>|. ',
        files=[upload("目录.docx", docx_bytes)],
    )
    pending = submit(codes=("4",), title="待审核的材料", files=[upload("待审.pdf", pdf_bytes)])
    link = submit(
        codes=("3",),
        title="决策目录公开网址",
        files=[],
        links=[{"url": "https://www.hnls.gov.cn/juece/2026.html", "site": "鲁山县人民政府网"}],
    )
    for item in (shared, photo, awkward, link):
        evidence_approve(evidence=item, actor=office)
    return {"shared": shared, "photo": photo, "awkward": awkward, "pending": pending, "link": link}


def _build(campaign, tmp_path, name="pkg", **options):
    return build_package(Options(campaign_id=campaign.pk, **options), tmp_path / name, generated_by="测试员")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _manifest(path: Path) -> dict:
    return json.loads(_members(path)["manifest.json"])


def test_one_volume_per_indicator_with_the_hierarchy_inside(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    index = json.loads((built.folder / "index.json").read_text(encoding="utf-8"))

    # Indicators 1, 2 and 3 have approved material; 4 only pending material, 附1 none.
    assert [v["title"] for v in index["volumes"]] == [
        "指标1 权责清单动态调整并公开",
        "指标2 行政许可事项清单管理",
        "指标3 重大行政决策目录公开",
    ]
    assert index["indicators_without_material"] == ["4", "附1"]
    assert index["generated_by"] == "测试员"
    first = built.folder / index["volumes"][0]["file"]
    names = list(_members(first))
    folder = "一、政府职能依法全面履行/1. 权责清单管理/1 权责清单动态调整并公开"
    assert names[:2] == ["封面.pdf", "目录.pdf"]
    assert f"{folder}/司法局-权责清单调整文件-v1.pdf" in names
    assert f"{folder}/司法局-权责清单调整文件-v1.png" in names
    assert f"{folder}/司法局-现场照片-v1.png" in names
    assert names[-1] == "manifest.json"
    # Every part is a PDF or an image: the volume carries the merged, page-numbered PDF.
    assert "合并版（含封面目录及页码）.pdf" in names
    assert index["volumes"][0]["merged_pdf"] is True


def test_a_file_serving_two_indicators_is_in_both_volumes(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    second = _manifest(built.folder / built.volumes[1].file_name)
    shared = [f for f in second["files"] if f.get("evidence_id") == approved["shared"].pk]
    assert [f["path"].rsplit("/", 1)[1] for f in shared] == [
        "司法局-权责清单调整文件-v1.pdf",
        "司法局-权责清单调整文件-v1.png",
    ]
    assert shared[0]["indicator_code"] == "2"
    assert shared[0]["path"].startswith("一、政府职能依法全面履行/1. 权责清单管理/2 行政许可事项清单管理/")


def test_manifest_entries_name_hash_size_unit_and_approval(campaign, approved, tmp_path, office):
    built = _build(campaign, tmp_path)
    volume = built.folder / built.volumes[0].file_name
    members, manifest = _members(volume), _manifest(volume)
    assert manifest["schema_version"] == 1
    assert manifest["campaign"]["name"] == campaign.name
    assert manifest["volume"] == {"number": 1, "count": 3, "title": "指标1 权责清单动态调整并公开", "indicators": ["1"]}
    evidence_files = [f for f in manifest["files"] if "evidence_id" in f]
    assert len(evidence_files) == 3
    for entry in manifest["files"]:
        assert entry["size"] == len(members[entry["path"]])
        import hashlib

        assert entry["sha256"] == hashlib.sha256(members[entry["path"]]).hexdigest()
    entry = evidence_files[0]
    assert entry["unit"] == "司法局"
    assert entry["indicator_code"] == "1"
    assert entry["approved_by"] == office.display_name
    assert entry["approved_at"].startswith(str(approved["shared"].reviewed_at.astimezone().year))


def test_pending_material_only_on_request(campaign, approved, tmp_path):
    default = _build(campaign, tmp_path, "a")
    assert "指标4 严格落实合法性审查全覆盖" not in [v.title for v in default.volumes]
    with_pending = _build(campaign, tmp_path, "b", include_pending=True)
    fourth = [v for v in with_pending.volumes if v.title.startswith("指标4")]
    assert len(fourth) == 1
    files = _manifest(with_pending.folder / fourth[0].file_name)["files"]
    assert [f["status"] for f in files if "evidence_id" in f] == ["pending"]
    assert all(f["approved_at"] is None for f in files if "evidence_id" in f)


def test_volumes_per_area_and_by_size(campaign, approved, tmp_path, pdf_bytes):
    per_area = _build(campaign, tmp_path, "area", volume_rule="area")
    assert [v.title for v in per_area.volumes] == ["一、政府职能依法全面履行", "二、行政决策科学民主依法"]
    by_size = _build(campaign, tmp_path, "size", volume_rule="size", volume_cap=len(pdf_bytes) + 10)
    # Files go into volumes in tree order until the next one would pass the cap.
    assert len(by_size.volumes) >= 3
    for volume in by_size.volumes:
        files = [f for f in _manifest(by_size.folder / volume.file_name)["files"] if "evidence_id" in f]
        assert sum(f["size"] for f in files) <= len(pdf_bytes) + 10 or len(files) == 1


def test_scope_by_area_and_by_unit(campaign, approved, tmp_path, county):
    from indicators.models import Indicator

    area_two = Indicator.objects.get(framework=campaign.framework, level="1", code="二、")
    only_two = _build(campaign, tmp_path, "two", area_ids=(area_two.pk,))
    assert [v.title for v in only_two.volumes] == ["指标3 重大行政决策目录公开"]
    bonus_only = _build(campaign, tmp_path, "bonus", area_ids=(BONUS_AREA,))
    assert bonus_only.volumes == []
    from conftest import unit_named

    finance = _build(campaign, tmp_path, "finance", unit_ids=(unit_named(county, "财政局").pk,))
    assert finance.files_total == 0


def test_link_evidence_goes_to_the_links_sheet_and_the_toc_lists_every_file(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    links = load_workbook(built.folder / "网络检索链接.xlsx").active
    rows = list(links.iter_rows(values_only=True))
    assert rows[0][:5] == ("指标编号", "指标", "单位", "材料", "网址")
    assert rows[1][0] == "3"
    assert rows[1][4] == "https://www.hnls.gov.cn/juece/2026.html"
    assert rows[1][5] == "鲁山县人民政府网"
    toc = list(load_workbook(built.folder / "目录.xlsx").active.iter_rows(values_only=True))
    assert len(toc) == 1 + built.files_total == 1 + 6  # the shared item's two files appear twice
    assert {row[3] for row in toc[1:]} == {"鲁山县司法局"}


def test_same_inputs_give_byte_identical_volumes_in_the_same_order(campaign, approved, tmp_path):
    first = _build(campaign, tmp_path, "first")
    second = _build(campaign, tmp_path, "second")
    assert [(v.file_name, v.sha256, v.size) for v in first.volumes] == [
        (v.file_name, v.sha256, v.size) for v in second.volumes
    ]
    for volume in first.volumes:
        assert (first.folder / volume.file_name).read_bytes() == (second.folder / volume.file_name).read_bytes()
    index_a = json.loads((first.folder / "index.json").read_text(encoding="utf-8"))
    index_b = json.loads((second.folder / "index.json").read_text(encoding="utf-8"))
    # Only the generation time and the spreadsheets' own timestamps may differ.
    for index in (index_a, index_b):
        index.pop("generated_at")
        index.pop("spreadsheets")
    assert index_a == index_b


def _volume_hashes(built) -> list[tuple[str, str]]:
    return [(v.file_name, v.sha256) for v in built.volumes]


def test_an_export_fills_in_missing_crc32s_and_gives_the_same_volumes(campaign, approved, tmp_path):
    """Uploads keep each file's CRC-32 so that exports can let the kernel copy the files; files stored
    before that get theirs from the first export that copies them — with the same volumes either way."""
    from django.core.files.storage import default_storage

    from evidence.models import StoredFile

    kept = dict(StoredFile.objects.values_list("sha256", "crc32"))
    for sha256, crc in kept.items():
        with default_storage.open(StoredFile.objects.get(sha256=sha256).blob, "rb") as handle:
            assert crc == zlib.crc32(handle.read())
    first = _build(campaign, tmp_path, "first")
    StoredFile.objects.update(crc32=None)  # as stored before StoredFile kept CRC-32s
    second = _build(campaign, tmp_path, "second")
    assert _volume_hashes(second) == _volume_hashes(first)
    exported = {e["sha256"] for v in second.volumes for e in _manifest(second.folder / v.file_name)["files"]}
    assert dict(StoredFile.objects.filter(sha256__in=exported).values_list("sha256", "crc32")) == {
        sha256: crc for sha256, crc in kept.items() if sha256 in exported
    }
    for volume in second.volumes:
        with zipfile.ZipFile(second.folder / volume.file_name) as archive:
            assert archive.testzip() is None  # every member's CRC-32 matches its bytes


def test_a_stored_file_that_lost_bytes_fails_the_export_naming_it(campaign, approved, tmp_path, settings):
    """A file shorter on disk than its StoredFile says (disk damage) must not end up cut short inside a
    volume that looks complete: the export fails and says which file."""
    stored = approved["photo"].files.get().stored
    blob = Path(settings.MEDIA_ROOT) / stored.blob
    blob.write_bytes(blob.read_bytes()[:-10])
    with pytest.raises(OSError, match=r"存储中的文件比登记的大小短 10 字节，可能已损坏：.*\.png$"):
        _build(campaign, tmp_path, "pkg")
    assert not (tmp_path / "pkg").exists() and not list(tmp_path.glob(".pkg.*"))


class ObjectStorage(InMemoryStorage):
    """A stand-in for S3-compatible storage: no local paths (InMemoryStorage makes some up)."""

    def _relative_path(self, name):
        return os.path.relpath(super().path(name), self.location)

    def path(self, name):
        raise NotImplementedError("object storage has no local paths")


def test_volumes_are_the_same_from_storage_without_local_files(campaign, approved, tmp_path, settings):
    """Object storage has no paths to copy from: the files are streamed instead, with the same result."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    local = _build(campaign, tmp_path, "local")
    media = Path(settings.MEDIA_ROOT)
    stored = {str(p.relative_to(media)): p.read_bytes() for p in media.rglob("*") if p.is_file()}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.ObjectStorage"},
    }
    for name, data in stored.items():
        default_storage.save(name, ContentFile(data))
    with pytest.raises(NotImplementedError):
        default_storage.path(next(iter(stored)))
    remote = _build(campaign, tmp_path, "remote")
    assert _volume_hashes(remote) == _volume_hashes(local)


def test_each_merged_pdf_has_its_own_document_id(campaign, approved, tmp_path):
    """The /ID comes from the volume's contents (qpdf's MD5 over the whole output cost 4× the writing):
    volumes differ, the same volume keeps it on re-export."""
    import pikepdf

    def ids(built):
        found = []
        for volume in built.volumes:
            merged = _members(built.folder / volume.file_name).get("合并版（含封面目录及页码）.pdf")
            if merged:
                with pikepdf.open(io.BytesIO(merged)) as pdf:
                    found.append(bytes(pdf.trailer.ID[0]))
        return found

    first = ids(_build(campaign, tmp_path, "a"))
    assert len(first) >= 2 and len(set(first)) == len(first) and all(len(i) == 16 for i in first)
    assert ids(_build(campaign, tmp_path, "b")) == first


def test_every_path_is_safe_unique_and_inside_the_archive(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    for name in [p.name for p in built.folder.iterdir()]:
        assert not FORBIDDEN.search(name) and "/" not in name
    for volume in built.volumes:
        with zipfile.ZipFile(built.folder / volume.file_name) as archive:
            names = archive.namelist()
        assert len({n.lower() for n in names}) == len(names)
        for name in names:
            assert not name.startswith("/") and ".." not in name.split("/")
            for part in name.split("/"):
                assert part and not FORBIDDEN.search(part), part
                assert part == part.rstrip(". "), part
                assert len(part) <= MAX_COMPONENT
    third = _manifest(built.folder / built.volumes[2].file_name)
    awkward = next(f["path"] for f in third["files"] if f.get("evidence_id") == approved["awkward"].pk)
    assert awkward.endswith("/司法局-决策目录_ 2026_上半年 _草案__ _终稿_ _公开__-v1.docx")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('a\\b/c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("报告. . .", "报告"),
        ("  前后空格  ", "前后空格"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("", "未命名"),
        ("...", "未命名"),
        ("行\n换\t行", "行 换 行"),
    ],
)
def test_safe_component(raw, expected):
    assert safe_component(raw) == expected


def test_long_names_are_cut_keeping_the_extension_and_clashes_get_numbers():
    name = safe_component("很长的材料标题" * 30 + ".pdf")
    assert len(name) == MAX_COMPONENT and name.endswith(".pdf")
    taken: set[str] = set()
    assert [unique_in_folder(n, taken) for n in ("a.pdf", "A.pdf", "a.pdf", "b")] == [
        "a.pdf",
        "A-2.pdf",
        "a-3.pdf",
        "b",
    ]


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


def _rewrite(path: Path, change) -> None:
    members = _members(path)
    change(members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def test_verify_passes_a_fresh_package_and_a_single_volume(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    checked = verify(built.folder)
    assert checked.problems == []
    assert checked.volumes == 3
    assert checked.files == sum(len(_manifest(built.folder / v.file_name)["files"]) for v in built.volumes)
    assert verify(built.folder / built.volumes[0].file_name).problems == []


def test_verify_reports_changed_missing_and_extra_files(campaign, approved, tmp_path):
    built = _build(campaign, tmp_path)
    first = built.folder / built.volumes[0].file_name
    victim = next(f["path"] for f in _manifest(first)["files"] if "evidence_id" in f)

    def tamper(members):
        members[victim] = members[victim][:-1] + b"X"

    _rewrite(first, tamper)
    problems = verify(first).problems
    assert problems == [f"{first.name}：{victim} 内容与清单不符（SHA-256 不一致）"]
    assert any("与索引不符" in p for p in verify(built.folder).problems)

    def swap(members):
        del members[victim]
        members["多出来的文件.txt"] = b"extra"

    _rewrite(first, swap)
    problems = verify(first).problems
    assert f"{first.name}：缺少文件 {victim}" in problems
    assert f"{first.name}：多出清单之外的文件 多出来的文件.txt" in problems

    (built.folder / built.volumes[1].file_name).unlink()
    (built.folder / "说明.txt").write_text("不在索引中")
    problems = verify(built.folder).problems
    assert f"缺少 {built.volumes[1].file_name}" in problems
    assert "多出索引之外的文件 说明.txt" in problems


def test_verify_refuses_something_that_is_not_a_package(tmp_path):
    bogus = tmp_path / "不是材料包.zip"
    bogus.write_bytes(b"PK\x03\x04 not really")
    assert "不是有效的 ZIP 文件" in verify(bogus).problems[0]
    assert verify(tmp_path / "不存在").problems == [f"找不到 {tmp_path / '不存在'}"]
    assert "index.json" in verify(tmp_path).problems[0]


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def test_export_and_verify_commands(campaign, approved, tmp_path, capsys):
    from luhsan_portal.models import AuditEvent

    out = tmp_path / "导出"
    call_command("export_package", "--campaign", str(campaign.pk), "--out", str(out), verbosity=0)
    printed = capsys.readouterr().out
    assert "已导出 3 册、6 个文件" in printed
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".zip") == [
        "index.json",
        "目录.xlsx",
        "网络检索链接.xlsx",
    ]
    assert len(list(out.glob("*.zip"))) == 3
    event = AuditEvent.objects.get(verb="package.export")
    assert event.reason == f"命令行导出到 {out}"

    call_command("verify_package", str(out))
    assert "校验通过：3 册" in capsys.readouterr().out
    (out / "目录.xlsx").write_bytes(b"changed")
    with pytest.raises(CommandError, match="校验未通过"):
        call_command("verify_package", str(out))


def test_export_command_scopes_and_volume_cap(campaign, approved, tmp_path, capsys):
    out = tmp_path / "areas"
    call_command(
        "export_package", "--campaign", str(campaign.pk), "--out", str(out), "--scope", "areas:二、", verbosity=0
    )
    assert "已导出 1 册" in capsys.readouterr().out
    out = tmp_path / "units"
    call_command(
        "export_package",
        "--campaign",
        str(campaign.pk),
        "--out",
        str(out),
        "--scope",
        "units",
        "--units",
        "县司法局",
        "--volume-cap",
        "1000000000",
        verbosity=0,
    )
    assert "已导出 1 册、6 个文件" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "999"], "找不到编号为 999 的创建活动"),
        (["--scope", "everything"], "--scope 只能是"),
        (["--scope", "areas"], "请用 --areas"),
        (["--scope", "units", "--units", "火星局"], "找不到这些单位：火星局"),
        (["--areas", "九、"], "没有这些一级指标：九、"),
        (["--volume-cap", "0"], "必须是正整数"),
        (["--volumes", "size"], "请用 --volume-cap"),
        (["--user", "nobody"], "找不到用户"),
    ],
)
def test_export_command_refuses_bad_arguments(campaign, tmp_path, args, message):
    base = {"--campaign": str(campaign.pk), "--out": str(tmp_path / "out")}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    flat = [x for pair in base.items() for x in pair]
    with pytest.raises(CommandError, match=message):
        call_command("export_package", *flat, verbosity=0)


def test_export_command_never_deletes_a_folder_that_is_not_a_package(campaign, approved, tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "工作总结.docx").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="不是空目录或材料包"):
        call_command("export_package", "--campaign", str(campaign.pk), "--out", str(out), verbosity=0)
    assert (out / "工作总结.docx").read_bytes() == b"keep me"
    # A previous package in the same place is replaced as a whole.
    package = tmp_path / "package"
    call_command("export_package", "--campaign", str(campaign.pk), "--out", str(package), verbosity=0)
    (package / "旧文件.zip").write_bytes(b"old")
    call_command("export_package", "--campaign", str(campaign.pk), "--out", str(package), verbosity=0)
    assert not (package / "旧文件.zip").exists()
    assert verify(package).problems == []


def test_collecting_a_package_runs_a_fixed_number_of_queries(campaign, approved, submit, office, png_bytes):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.packages.collect import collect

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _campaign, _indicators, entries, links = collect(Options(campaign_id=campaign.pk))
            # Everything the builder reads from the rows.
            read = [(e.manifest(), e.evidence.unit.name, e.file.stored.blob) for e in entries]
            read += [link.evidence.unit.name for link, _served in links]
            assert read
        return len(ctx.captured_queries)

    before = count()
    for n in range(5):
        evidence_approve(
            evidence=submit(codes=("2",), title=f"补充{n}", files=[upload("p.png", png_bytes)]), actor=office
        )
    assert count() == before
