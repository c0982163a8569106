"""Forms of the evidence pages."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import Evidence, ReturnReason
from luhsan_portal.forms import DateInput


class AssignmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.indicator.code} {obj.indicator.title}（{obj.get_role_display()}）"


class EvidenceForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    assignments = AssignmentChoiceField(
        label=_("服务的任务"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("一份材料可以同时服务本单位的多项任务，无需重复上传。"),
        error_messages={"required": _("请选择材料所服务的任务。")},
    )
    title = forms.CharField(label=_("材料标题"), max_length=200)
    statement = forms.CharField(
        label=_("书面说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=20000
    )
    period_start = forms.DateField(label=_("材料所属期间（起）"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("材料所属期间（止）"), required=False, widget=DateInput())
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reuse = forms.ModelChoiceField(
        label=_("引用本单位已上传的材料"),
        queryset=None,
        required=False,
        empty_label=_("（不引用）"),
        help_text=_("所选材料的文件和链接会附在本次提交中，不必再次上传。"),
    )
    unclassified = forms.BooleanField(
        label=_("我确认所提交材料不涉及国家秘密（不涉密）"),
        error_messages={"required": _("请确认所提交材料不涉及国家秘密（不涉密）。")},
    )

    def __init__(self, *args, assignments, reusable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignments"].queryset = assignments
        self.fields["reuse"].queryset = reusable
        self.fields["reuse"].label_from_instance = lambda e: f"{e.title}（v{e.revision}，{e.get_status_display()}）"
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("材料所属期间的开始日期不能晚于结束日期。"))
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("退回必须填写理由。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(ReturnReason.objects.values_list("text", flat=True))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), required=False, max_length=1000)


def reusable_evidence(unit_id: int, campaign_id: int):
    return (
        Evidence.objects.filter(unit_id=unit_id, campaign_id=campaign_id)
        .exclude(status=Evidence.Status.WITHDRAWN)
        .only("id", "title", "revision", "status")
        .order_by("-created_at")
    )
