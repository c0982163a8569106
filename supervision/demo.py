"""Demo supervision: a finished round (4 groups, 43 units) with findings in every state, and a round
under way for demo_supervisor. 司法局 (demo_liaison's unit) keeps one open and one overdue order."""

import datetime as dt
import random

from django.utils import timezone

from accounts.models import User
from indicators.models import Assignment, Campaign
from luhsan_portal.access import Role
from supervision.models import Finding, Rectification, SupervisionRound, Visit
from supervision.services import (
    finding_record,
    group_save,
    rectification_acknowledge,
    rectification_close,
    rectification_respond,
    round_create,
    visit_record,
)

PROBLEMS = [
    (
        "materials",
        "创建资料未按指标分类归档，部分会议纪要缺少签字。",
        "按指标体系重新整理归档，补齐会议纪要签字，一周内报创建办。",
    ),
    (
        "publicity",
        "单位门户网站法治政府建设专栏更新不及时，最近一条信息为三个月前。",
        "每月至少更新两条专栏信息，并将更新截图上传平台。",
    ),
    ("venues", "办事大厅法治宣传栏内容陈旧，未体现示范创建内容。", "更新宣传栏内容，增加示范创建宣传展板，拍照上传。"),
    ("system", "重大行政决策程序规定未制定本单位实施细则。", "制定并印发实施细则，报县司法局备案。"),
    (
        "organisation",
        "专班人员调整后未及时更新分工，个别人员不清楚职责。",
        "重新明确专班分工并组织一次集中学习，提交学习记录。",
    ),
    ("enforcement", "抽查的2本执法案卷存在文书不规范问题。", "组织案卷自查，规范文书格式，提交整改报告。"),
]
SUPERVISOR_NAMES = ["刘建国", "张丽娟", "杨志强"]


def _supervisors(campaign: Campaign) -> list[User]:
    people = [User.objects.get(username="demo_supervisor")]
    for index, name in enumerate(SUPERVISOR_NAMES, start=2):
        user, created = User.objects.get_or_create(
            username=f"supervisor_{index}",
            defaults={"name": name, "role": Role.SUPERVISOR, "county": campaign.county},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    return people


def seed_supervision(campaign: Campaign, office: User) -> int:
    """Two rounds for the demo campaign (skipped when it already has rounds); returns findings made."""
    if SupervisionRound.objects.filter(campaign=campaign).exists():
        return 0
    rng = random.Random(2024)  # noqa: S311 — reproducible demo data
    today = timezone.localdate()
    people = _supervisors(campaign)
    justice = User.objects.get(username="demo_liaison").unit
    units = [justice] + [u for u in campaign.county.units.filter(active=True).order_by("order") if u.pk != justice.pk]
    liaisons = {u.unit_id: u for u in User.objects.filter(role=Role.LIAISON, unit__county=campaign.county)}

    finished = round_create(
        campaign=campaign,
        title=f"{today.year}年第一轮法治政府建设示范创建督导",
        actor=office,
        start_date=today - dt.timedelta(days=45),
        end_date=today - dt.timedelta(days=38),
        bodies="县人大办、县政府办、县纪委监委、县委政法委",
        notes="四个督导组分赴43个县直单位和乡镇（街道），做到专班人员必谈、关键资料必查、固定场所必看。",
    )
    planned = units[:43]
    groups = []
    for index in range(4):
        share = planned[index::4]
        groups.append(
            group_save(
                round_=finished,
                name=f"第{'一二三四'[index]}督导组",
                leader=people[index],
                members=[people[(index + 1) % 4]],
                units=share,
                actor=office,
            )
        )
    findings = 0
    for group in groups:
        for unit in group.units.all():
            visit_day = finished.start_date + dt.timedelta(days=rng.randint(0, 5))
            visit = visit_record(
                group=group,
                unit=unit,
                date=visit_day,
                actor=group.leader,
                interviewed=[{"name": "专班负责人", "post": "分管副职"}, {"name": "联络员", "post": "科员"}],
                materials_checked="创建工作方案、任务分解台账、佐证材料目录",
                places_inspected="办事大厅、法治宣传栏",
            )
            Visit.objects.filter(pk=visit.pk).update(
                created_at=timezone.make_aware(dt.datetime.combine(visit_day, dt.time(10)))
            )
            count = 2 if unit.pk == justice.pk else rng.choice([0, 1, 1, 2])
            for n in range(count):
                category, description, requirement = rng.choice(PROBLEMS)
                indicators = list(
                    Assignment.objects.filter(campaign=campaign, unit=unit).values_list("indicator_id", flat=True)[:1]
                )
                finding = finding_record(
                    round_=finished,
                    unit=unit,
                    visit=visit,
                    description=description,
                    requirement=requirement,
                    deadline=today + dt.timedelta(days=10),
                    category=category,
                    actor=group.leader,
                    indicators=indicators,
                    severity=rng.choice([Finding.Severity.MINOR, Finding.Severity.MINOR, Finding.Severity.MAJOR]),
                )
                findings += 1
                order = finding.rectification
                deadline = visit_day + dt.timedelta(days=30)
                Rectification.objects.filter(pk=order.pk).update(deadline=deadline, original_deadline=deadline)
                order.refresh_from_db()
                _advance(order, unit, justice, n, rng, liaisons, group.leader)
    _current_round(campaign, office, people, units, today)
    return findings


def _advance(order, unit, justice, n, rng, liaisons, checker) -> None:
    """Move a demo order along: 司法局 keeps one open and one overdue; elsewhere a mix, mostly closed."""
    liaison = liaisons.get(unit.pk)
    if unit.pk == justice.pk:
        if n == 0:  # still open, due in ten days
            Rectification.objects.filter(pk=order.pk).update(
                deadline=timezone.localdate() + dt.timedelta(days=10), original_deadline=order.original_deadline
            )
        else:  # signed for, then left past its deadline
            rectification_acknowledge(rectification=order, actor=liaison)
        return
    roll = rng.random()
    if roll < 0.55:
        rectification_respond(rectification=order, actor=liaison, description="已按整改意见完成整改，相关材料已上传。")
        rectification_close(rectification=order, actor=checker)
    elif roll < 0.75:
        rectification_respond(rectification=order, actor=liaison, description="已完成整改，请复核。")
    elif roll < 0.9:
        rectification_acknowledge(rectification=order, actor=liaison)


def _current_round(campaign, office, people, units, today) -> None:
    """A round under way: demo_supervisor's group has units to visit today."""
    current = round_create(
        campaign=campaign,
        title=f"{today.year}年第二轮督导（进行中）",
        actor=office,
        start_date=today - dt.timedelta(days=2),
        end_date=today + dt.timedelta(days=12),
        bodies="县政府办、县委政法委",
    )
    group = group_save(
        round_=current,
        name="第一督导组",
        leader=people[0],
        members=[people[1]],
        units=units[:6],
        actor=office,
    )
    visit_record(
        group=group,
        unit=units[1],
        date=today - dt.timedelta(days=1),
        actor=people[0],
        interviewed=[{"name": "专班负责人", "post": "副局长"}],
        materials_checked="整改台账",
        places_inspected="办事大厅",
    )
