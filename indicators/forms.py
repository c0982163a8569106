"""Forms of the indicator pages: waiving, imports."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from indicators.models import Campaign, Framework, ImportJob


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=_("不适用理由"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("例如：本单位无此项职能")}),
        max_length=1000,
    )


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("表格文件（.xlsx 或 .csv）"))
    framework_name = forms.CharField(
        label=_("指标体系名称"), required=False, max_length=100, help_text=_("导入指标体系时填写；不存在则新建。")
    )
    campaign = forms.ModelChoiceField(
        label=_("创建活动"), queryset=Campaign.objects.none(), required=False, help_text=_("导入责任清单时选择。")
    )

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns if campaigns is not None else Campaign.objects.none()
        names = list(Framework.objects.values_list("name", flat=True))
        self.fields["framework_name"].widget.attrs["list"] = "framework-names"
        self.framework_names = names

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("文件为空。"))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB，无法导入。") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ImportJob.Kind.FRAMEWORK and not (data.get("framework_name") or "").strip():
            self.add_error("framework_name", _("导入指标体系时必须填写指标体系名称。"))
        if kind == ImportJob.Kind.ASSIGNMENTS and not data.get("campaign"):
            self.add_error("campaign", _("导入责任清单时必须选择创建活动。"))
        return data
