"""Forms of the supervision pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from luhsan_portal.forms import DateInput
from supervision.models import Finding, SupervisionRound

DATE = DateInput()


class RoundForm(forms.ModelForm):
    class Meta:
        model = SupervisionRound
        fields = ["title", "start_date", "end_date", "bodies", "notes"]
        widgets = {"start_date": DATE, "end_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.get_role_display()}）"


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.get_role_display()}）"


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class GroupForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50, initial=_("第一督导组"))
    leader = UserChoiceField(label=_("组长"), queryset=User.objects.none())
    members = UsersChoiceField(
        label=_("成员"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    kinds = forms.MultipleChoiceField(
        label=_("按类型加入单位"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("勾选的类型下所有启用单位都会加入督导名单。"),
    )
    units = UnitsChoiceField(label=_("督导单位"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, people, units, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = people
        self.fields["members"].queryset = people
        self.fields["units"].queryset = units
        self.fields["kinds"].choices = kinds

    def clean(self):
        data = super().clean()
        if not data.get("units") and not data.get("kinds"):
            self.add_error("units", _("请至少选择一个督导单位。"))
        return data


class VisitForm(forms.Form):
    date = forms.DateField(label=_("走访日期"), widget=DATE)
    materials_checked = forms.CharField(
        label=_("关键资料必查"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("查阅的佐证材料"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    places_inspected = forms.CharField(
        label=_("固定场所必看"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(label=_("走访记录"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence
        self.fields["evidence"].label_from_instance = lambda e: f"{e.title}（{e.get_status_display()}）"
        self.initial.setdefault("date", timezone.localdate())


class FindingForm(forms.Form):
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("类别"), choices=Finding.Category.choices)
    severity = forms.ChoiceField(label=_("程度"), choices=Finding.Severity.choices)
    indicators = forms.ModelMultipleChoiceField(label=_("相关指标"), queryset=None, required=False)
    requirement = forms.CharField(label=_("整改意见"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = indicators
        self.fields["indicators"].label_from_instance = lambda i: f"{i.code} {i.title}"


class RespondForm(forms.Form):
    description = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.ModelMultipleChoiceField(
        label=_("引用本单位已上传的材料"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence
        self.fields["evidence"].label_from_instance = lambda e: f"{e.title}（{e.get_status_display()}）"


class ExtensionForm(forms.Form):
    deadline = forms.DateField(label=_("申请延至"), widget=DATE)
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
