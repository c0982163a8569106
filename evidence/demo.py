"""Demo evidence: submissions in every state, through the real services, dated across the campaign.

Runs once per campaign (skipped when the campaign already has evidence). Every unit gets a
liaison account (no usable password except the demo logins) because a submission has an author.
"""

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from evidence.models import Evidence, EvidenceLink
from evidence.services import evidence_approve, evidence_return, evidence_submit, evidence_withdraw
from indicators.models import Assignment, Campaign
from luhsan_portal.access import Role
from units.models import UnitContact

RETURN_REASONS = [
    "材料与本指标测评要点不对应，请对照测评要点重新整理。",
    "缺少正式印发文件（文号、印章），请提供正式文件而非草稿。",
    "扫描件不清晰或页面不全，请重新扫描上传。",
    "网络链接无法打开或不是公开网址，请提供可公开访问的链接。",
]
SITES = ["鲁山县人民政府网", "“法治鲁山”微信公众号", "平顶山日报", "河南法治报"]


def _pdf(title: str, body: str) -> bytes:
    from weasyprint import HTML

    html = f"""<html><head><style>
      @page {{ size: A4; margin: 2.5cm; }}
      body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 14pt; line-height: 1.8; }}
      h1 {{ font-size: 20pt; text-align: center; }}
    </style></head><body><h1>{title}</h1><p>{body}</p><p>（演示材料，内容为平台自拟）</p></body></html>"""
    return HTML(string=html).write_pdf()


def _png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (236, 241, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 300), outline=(29, 79, 145), width=4)
    draw.line((20, 160, 460, 160), fill=(200, 16, 46), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _docx(title: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph("本单位按照创建方案要求，结合工作实际，认真落实本项指标的各项任务。（演示材料）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _liaisons(campaign: Campaign) -> dict[int, User]:
    """One liaison account per unit (the demo logins keep theirs)."""
    existing = {u.unit_id: u for u in User.objects.filter(role=Role.LIAISON, unit__county=campaign.county)}
    names = {c.unit_id: c.name for c in UnitContact.objects.filter(unit__county=campaign.county, role="liaison")}
    for unit in campaign.county.units.all():
        if unit.pk not in existing:
            user = User(
                username=f"liaison_{unit.pk}",
                name=names.get(unit.pk, ""),
                role=Role.LIAISON,
                unit=unit,
                county=campaign.county,
            )
            user.set_unusable_password()
            user.save()
            existing[unit.pk] = user
    return existing


def _backdate(evidence: Evidence, submitted: dt.datetime, reviewed: dt.datetime | None) -> None:
    fields = {"created_at": submitted}
    if evidence.reviewed_at:
        fields["reviewed_at"] = reviewed or submitted
    if evidence.withdrawn_at:
        fields["withdrawn_at"] = reviewed or submitted
    Evidence.objects.filter(pk=evidence.pk).update(**fields)


def seed_evidence(campaign: Campaign, office: User) -> int:
    """Submissions for the campaign in every state; returns how many were created."""
    if Evidence.objects.filter(campaign=campaign).exists():
        return 0
    rng = random.Random(20240112)  # noqa: S311 — reproducible demo data, not security
    liaisons = _liaisons(campaign)
    files = {
        "pdf": [
            _pdf(t, b)
            for t, b in (
                ("工作方案", "为深入推进法治政府建设示范创建工作，结合本单位实际，制定本方案。"),
                ("工作总结", "本单位认真对照指标体系，逐项分解任务，明确责任人和完成时限。"),
                ("会议纪要", "会议研究了示范创建推进中的重点问题，明确了下一步工作安排。"),
            )
        ],
        "png": _png(),
    }
    now = timezone.now()
    start = timezone.make_aware(dt.datetime.combine(campaign.start_date, dt.time(9, 0)))
    span = max((now - start).days - 2, 10)
    assignments = list(
        Assignment.objects.filter(campaign=campaign)
        .select_related("indicator", "unit")
        .order_by("indicator__sort_key", "unit__order")
    )
    web = set(
        Assignment.objects.filter(campaign=campaign, indicator__evaluation_methods__code="web_search").values_list(
            "id", flat=True
        )
    )
    demo_unit_id = User.objects.filter(username="demo_liaison").values_list("unit_id", flat=True).first()
    untouched_leads = 0
    created = 0
    # Close to half of the indicators are finished by every unit, so that 双过半 is a near thing.
    picker = random.Random(1231)  # noqa: S311 — reproducible demo data
    finished = {i for i in sorted({a.indicator_id for a in assignments}) if picker.random() < 0.48}
    for index, assignment in enumerate(assignments):
        roll = rng.random()
        if assignment.unit_id == demo_unit_id and assignment.role == "lead" and untouched_leads < 4 and index % 5 == 2:
            untouched_leads += 1  # the demo liaison must still owe something
            continue
        if assignment.indicator_id in finished:
            roll = 0.3  # approved
        elif assignment.unit_id == demo_unit_id and index % 4 == 1:
            roll = 0.65  # returned: the demo liaison has something to answer
        if roll < 0.25:
            continue  # not submitted
        author = liaisons[assignment.unit_id]
        submitted = start + dt.timedelta(days=rng.randint(5, span), hours=rng.randint(0, 8))
        kind = rng.choice(["pdf", "pdf", "png", "docx"])
        title = f"{assignment.indicator.title}佐证材料"
        if kind == "pdf":
            name = f"{assignment.unit.short_name}-{assignment.indicator.code}-工作材料.pdf"
            upload = SimpleUploadedFile(name, rng.choice(files["pdf"]))
        elif kind == "png":
            upload = SimpleUploadedFile("工作现场照片.png", files["png"])
        else:
            upload = SimpleUploadedFile(f"{assignment.indicator.title[:12]}情况说明.docx", _docx(title))
        links = []
        if assignment.pk in web:
            links = [
                {
                    "url": f"https://www.hnls.gov.cn/contents/{52319 + index}.html",
                    "site": rng.choice(SITES),
                    "published_on": (submitted - dt.timedelta(days=rng.randint(1, 30))).date().isoformat(),
                }
            ]
        evidence = evidence_submit(
            unit=assignment.unit,
            assignments=[assignment],
            title=title,
            actor=author,
            unclassified=True,
            files=[upload],
            links=links,
            statement="" if kind != "docx" else "详见附件情况说明。",
        )
        created += 1
        reviewed = submitted + dt.timedelta(days=rng.randint(1, 6))
        if reviewed > now:
            reviewed = now
        if roll < 0.62:
            evidence_approve(evidence=evidence, actor=office)
        elif roll < 0.72:
            evidence_return(evidence=evidence, actor=office, reason=rng.choice(RETURN_REASONS))
            if rng.random() < 0.5:
                _backdate(evidence, submitted, reviewed)
                again = evidence_submit(
                    unit=assignment.unit,
                    assignments=[assignment],
                    title=f"{title}（修改稿）",
                    actor=author,
                    unclassified=True,
                    files=[SimpleUploadedFile("修改后材料.pdf", rng.choice(files["pdf"]))],
                    previous=evidence,
                )
                created += 1
                _backdate(again, reviewed + dt.timedelta(days=1), None)
                continue
        elif roll < 0.75:
            evidence_withdraw(evidence=evidence, actor=author, reason="上传文件有误，已撤回")
        _backdate(evidence, submitted, reviewed)
    _link_results(campaign, rng)
    return created


def _link_results(campaign: Campaign, rng: random.Random) -> None:
    """The deployment has no internet: most demo links read 无法检测, a few carry earlier results."""
    checked = timezone.now() - dt.timedelta(hours=3)
    for link in EvidenceLink.objects.filter(evidence__campaign=campaign):
        roll = rng.random()
        if roll < 0.55:
            link.check_status, link.status_code, link.page_title = "ok", 200, f"{link.site} - 法治政府建设示范创建"
            link.final_url, link.check_error = link.url, ""
        elif roll < 0.7:
            link.check_status, link.status_code, link.check_error = "broken", 404, "服务器返回 404"
            link.final_url = link.url
        else:
            link.check_status, link.check_error = "unreachable", "无法连接（可能没有外网）"
        link.checked_at = checked
        link.save(update_fields=["check_status", "status_code", "page_title", "final_url", "check_error", "checked_at"])
