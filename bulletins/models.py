"""Work bulletins (工作简报 第N期) and the public column (创建专栏) of a campaign."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bulletins.querysets import BulletinQuerySet, PostQuerySet
from luhsan_portal.models import BaseModel


class PublicationSettings(BaseModel):
    """A campaign's bulletin series and public column: numbering, default distribution, column title."""

    class Numbering(models.TextChoices):
        CONTINUOUS = "continuous", _("跨年连续编号")
        YEARLY = "yearly", _("每年重新编号")

    campaign = models.OneToOneField(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="publication"
    )
    title_line = models.CharField(_("简报名称"), max_length=100)
    numbering = models.CharField(_("期号规则"), max_length=16, choices=Numbering.choices, default=Numbering.CONTINUOUS)
    default_bao = models.CharField(_("默认报送（报）"), max_length=300, blank=True)
    default_song = models.CharField(_("默认送达（送）"), max_length=300, blank=True)
    default_fa = models.CharField(_("默认分发（发）"), max_length=300, blank=True)
    default_editors = models.CharField(_("默认编校"), max_length=100, blank=True)
    default_copies = models.PositiveIntegerField(_("默认印数"), null=True, blank=True)
    column_enabled = models.BooleanField(_("公开创建专栏"), default=True)
    column_title = models.CharField(_("专栏名称"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("简报与专栏设置")
        verbose_name_plural = _("简报与专栏设置")

    def __str__(self) -> str:
        return self.title_line


class Bulletin(BaseModel):
    """One issue of the work bulletin; its number is assigned when it is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已审批")
        PUBLISHED = "published", _("已发布")

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="bulletins"
    )
    title_line = models.CharField(_("简报名称"), max_length=100)
    issue_date = models.DateField(_("日期"))
    year = models.PositiveSmallIntegerField(_("年度"))
    # "all" for numbering across years, else the year: numbers are unique within a scope.
    number_scope = models.CharField(_("编号范围"), max_length=8, blank=True)
    number = models.PositiveIntegerField(_("期号"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    office = models.CharField(_("编发单位"), max_length=100)
    bao = models.CharField(_("报"), max_length=300, blank=True)
    song = models.CharField(_("送"), max_length=300, blank=True)
    fa = models.CharField(_("发"), max_length=300, blank=True)
    editors = models.CharField(_("编校"), max_length=100, blank=True)
    copies = models.PositiveIntegerField(_("印数"), null=True, blank=True)
    revision_of = models.ForeignKey(
        "self", verbose_name=_("更正的期次"), null=True, blank=True, on_delete=models.PROTECT, related_name="revisions"
    )
    revision = models.PositiveSmallIntegerField(_("修订次数"), default=1)
    correction_note = models.TextField(_("更正说明"), blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作简报")
        verbose_name_plural = _("工作简报")
        ordering = ["-issue_date", "-id"]
        permissions = [("approve_bulletin", _("可以审批工作简报"))]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number_scope", "number", "revision"],
                condition=Q(number__isnull=False),
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message=_("该期号已被使用。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title_line} 第{self.number}期" if self.number else f"{self.title_line}（草稿）"

    @property
    def published_on(self):
        return self.issue_date if self.status == self.Status.PUBLISHED else None


class BulletinItem(models.Model):
    """An article of a bulletin (工作动态): a headline and sanitised body HTML."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("文章")
        PROGRESS = "progress", _("进度数据")
        SUPERVISION = "supervision", _("督导情况")

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    kind = models.CharField(_("来源"), max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    headline = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))

    class Meta:
        verbose_name = _("简报文章")
        verbose_name_plural = _("简报文章")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.headline


class BulletinImage(models.Model):
    """An image of an article, stored like evidence (by content, type-checked)."""

    item = models.ForeignKey(BulletinItem, on_delete=models.CASCADE, related_name="images")
    stored = models.ForeignKey("evidence.StoredFile", on_delete=models.PROTECT, related_name="+")
    caption = models.CharField(_("图片说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("简报图片")
        verbose_name_plural = _("简报图片")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.pk)


class Post(BaseModel):
    """An item of the public column: a news post, a policy document or an annual report."""

    class Board(models.TextChoices):
        NEWS = "news", _("创建工作动态")
        POLICY = "policy", _("政策文件")
        ANNUAL_REPORT = "annual_report", _("年度工作报告")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="posts"
    )
    board = models.CharField(_("栏目"), max_length=16, choices=Board.choices)
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(
        _("文号"), max_length=100, blank=True, help_text=_("政策文件的发文字号，如 鲁法办〔2021〕1号")
    )
    body = models.TextField(_("正文"), blank=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    internal_note = models.TextField(_("内部备注（不公开）"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("专栏文章")
        verbose_name_plural = _("专栏文章")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title


class PostAttachment(models.Model):
    """A file attached to a column post (a policy document's PDF, an annual report)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    stored = models.ForeignKey("evidence.StoredFile", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("文件名"), max_length=255)

    class Meta:
        verbose_name = _("专栏附件")
        verbose_name_plural = _("专栏附件")

    def __str__(self) -> str:
        return self.name
