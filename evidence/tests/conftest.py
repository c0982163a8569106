"""Real files for evidence tests (built once per session) and a submit helper."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>鲁山县司法局</h1><p>权责清单动态调整情况说明（测试材料）</p>").write_pdf()


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 40)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def docx_bytes() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("关于推进法治政府建设的工作总结")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def zip_of(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def justice_assignments(campaign):
    """司法局's four assignments: leads 1 and 3, co on 2 and 4."""
    from indicators.models import Assignment

    return {
        a.indicator.code: a
        for a in Assignment.objects.filter(campaign=campaign, unit__short_name="司法局").select_related(
            "indicator", "unit"
        )
    }


@pytest.fixture
def submit(liaison, justice_assignments, pdf_bytes):
    """Submit evidence as 司法局's liaison through the real service."""
    from evidence.services import evidence_submit

    def _submit(codes=("1",), files=None, **kwargs):
        assignments = [justice_assignments[c] for c in codes]
        kwargs.setdefault("title", "权责清单调整文件")
        kwargs.setdefault("unclassified", True)
        kwargs.setdefault("actor", liaison)
        return evidence_submit(
            unit=assignments[0].unit,
            assignments=assignments,
            files=files if files is not None else [upload("权责清单.pdf", pdf_bytes)],
            **kwargs,
        )

    return _submit
