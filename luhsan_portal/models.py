"""The framework layer every app builds on: the common base model and the audit trail."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Abstract base with creation and modification times."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet):
    def for_target(self, obj: models.Model) -> "AuditEventQuerySet":
        """Events about one object, newest first."""
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)).order_by(
            "-created_at", "-id"
        )

    def for_admin_list(self) -> "AuditEventQuerySet":
        """What the audit browser shows: actor and target type joined in."""
        return self.select_related("actor", "target_type", "unit")


class AuditEvent(models.Model):
    """One recorded state change: who did what to which object, when, old → new. Append-only."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    verb = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(_("对象编号"), max_length=64)
    target_repr = models.CharField(_("对象"), max_length=300)
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changes = models.JSONField(_("变更（原值 → 新值）"), default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The per-object history shown on detail pages (name kept under 30 characters).
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.target_repr}"

    def save(self, *args, **kwargs) -> None:
        # The trail is evidence in its own right: rows are written once and never changed.
        if self.pk is not None:
            raise ValueError("AuditEvent rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("AuditEvent rows are immutable")


def ensure_reference_data() -> None:
    """Recreate the reference rows data migrations seed (unit kinds, evaluation methods, return
    reasons) when a flush removed them — test databases, or ``manage.py flush`` before a demo."""
    from evidence.models import ReturnReason
    from indicators.models import EvaluationMethod
    from units.models import UnitKind

    UnitKind.objects.ensure_defaults()
    EvaluationMethod.objects.ensure_defaults()
    ReturnReason.objects.ensure_defaults()
