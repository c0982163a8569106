"""Writing the audit trail (DESIGN.md §3.8). Services call these inside their own transaction."""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from luhsan_portal.models import AuditEvent

# How each verb reads in the UI (the verb itself is the stable code stored in the trail).
VERB_LABELS = {
    "evidence.submit": "提交材料",
    "evidence.approve": "审核通过",
    "evidence.return": "退回",
    "evidence.withdraw": "撤回",
    "evidence.download": "下载文件",
    "evidence.preview": "在线预览",
    "evidence.link_broken": "链接检测失效",
    "assignment.waive": "设为不适用",
    "assignment.unwaive": "恢复任务",
    "campaign.create": "新建创建活动",
    "framework.import": "导入指标体系",
    "units.import": "导入单位名册",
    "assignments.import": "导入责任清单",
    "import.apply": "确认导入",
    "feedback.export": "导出反馈清单",
    "feedback.export_all": "导出全部反馈清单",
    "package.export": "导出材料包",
    "package.download": "下载材料包文件",
    "report.generate": "生成报告",
}


def verb_label(verb: str) -> str:
    return VERB_LABELS.get(verb, verb)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _event(*, actor, verb: str, target: models.Model, changes: dict | None, reason: str, unit) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        unit=unit,
        changes={k: [_jsonable(old), _jsonable(new)] for k, (old, new) in (changes or {}).items()},
        reason=reason,
    )


def audit_record(
    *,
    actor,
    verb: str,
    target: models.Model,
    changes: dict[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    unit=None,
) -> AuditEvent:
    """Record one state change. ``changes`` maps a field to its ``(old, new)`` pair."""
    event = _event(actor=actor, verb=verb, target=target, changes=changes, reason=reason, unit=unit)
    event.save()
    return event


def audit_record_many(
    *, actor, verb: str, targets: Iterable[models.Model], reason: str = "", unit_attr: str = ""
) -> int:
    """Record the same verb for many objects in one bulk insert (imports, bulk reviews)."""
    events = [
        _event(
            actor=actor,
            verb=verb,
            target=t,
            changes=None,
            reason=reason,
            unit=getattr(t, unit_attr) if unit_attr else None,
        )
        for t in targets
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)
