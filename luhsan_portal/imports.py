"""The result every importer returns: errors by row, what would change, and whether it did."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from luhsan_portal.spreadsheets import RowError

PREVIEW_LIMIT = 300


@dataclass
class ImportResult:
    """What an import found and did. Nothing is written unless ``errors`` is empty and not a dry run."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    applied: bool = False
    preview: list[dict] = field(default_factory=list)
    target_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int | None, message: str, sheet: str = "") -> None:
        self.errors.append(RowError(row=row, message=message, sheet=sheet))

    def note(self, action: str, label: str, detail: str = "") -> None:
        """Count one planned change and keep it for the preview table."""
        if action == "create":
            self.created += 1
        elif action == "update":
            self.updated += 1
        else:
            self.unchanged += 1
        if action != "same" and len(self.preview) < PREVIEW_LIMIT:
            self.preview.append({"action": action, "label": label, "detail": detail})

    def summary(self) -> str:
        if self.errors:
            return _("发现 %(n)d 处错误，未导入任何数据。") % {"n": len(self.errors)}
        text = _("新增 %(created)d 条，更新 %(updated)d 条，不变 %(unchanged)d 条") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.kept:
            text += _("；文件中未列出的 %(kept)d 条保持不变") % {"kept": self.kept}
        return text + ("。" if self.applied else _("（预览，尚未写入）。"))

    def as_dict(self) -> dict:
        return {
            "errors": [e.as_dict() for e in self.errors],
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "applied": self.applied,
            "preview": self.preview,
            "summary": self.summary(),
            "target_id": self.target_id,
        }
