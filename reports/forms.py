"""Forms of the reports app: the package export and the generated reports."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import Campaign, Indicator
from luhsan_portal.forms import DateInput
from reports.models import PackageExport
from reports.packages.collect import BONUS_AREA, Options
from units.models import Unit

MIB = 1024 * 1024


class PackageExportForm(forms.Form):
    SCOPES = [("all", _("全部材料")), ("areas", _("部分一级指标")), ("units", _("部分单位"))]

    campaign = forms.ModelChoiceField(label=_("创建活动"), queryset=Campaign.objects.none(), empty_label=None)
    scope = forms.ChoiceField(label=_("导出范围"), choices=SCOPES, initial="all", widget=forms.RadioSelect)
    areas = forms.MultipleChoiceField(label=_("一级指标"), required=False, widget=forms.CheckboxSelectMultiple)
    units = forms.ModelMultipleChoiceField(
        label=_("单位"), queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    include_pending = forms.BooleanField(
        label=_("同时导出待审核的材料"),
        required=False,
        help_text=_("默认只导出审核通过的材料；勾选后待审核的材料也会编入，并在清单中标明状态。"),
    )
    volume_rule = forms.ChoiceField(
        label=_("分册方式"),
        choices=PackageExport.VolumeRule.choices,
        initial=PackageExport.VolumeRule.INDICATOR,
        widget=forms.RadioSelect,
    )
    volume_cap_mb = forms.IntegerField(
        label=_("每册大小上限（MB）"),
        required=False,
        min_value=1,
        max_value=100 * 1024,
        help_text=_("按大小分册时必填；单个文件超过上限时独立成册。"),
    )

    def __init__(self, *args, user, campaign: Campaign | None, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.for_user(user).select_related("framework").order_by("-start_date", "-id")
        self.fields["campaign"].queryset = campaigns
        if campaign is not None:
            self.fields["campaign"].initial = campaign.pk
        chosen = campaign
        if self.is_bound:
            chosen = campaigns.filter(pk=self.data.get("campaign") or 0).first() or campaign
        areas = []
        if chosen is not None:
            areas = [
                (str(a.pk), f"{a.code}{a.title}")
                for a in Indicator.objects.filter(framework_id=chosen.framework_id, level="1").order_by("sort_key")
            ]
            self.fields["units"].queryset = Unit.objects.filter(county_id=chosen.county_id, active=True).order_by(
                "order", "id"
            )
        self.fields["areas"].choices = [*areas, (str(BONUS_AREA), _("附加指标"))]

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == "areas" and not data.get("areas"):
            self.add_error("areas", _("请至少选择一个一级指标。"))
        if scope == "units" and not data.get("units"):
            self.add_error("units", _("请至少选择一个单位。"))
        if data.get("volume_rule") == PackageExport.VolumeRule.SIZE and not data.get("volume_cap_mb"):
            self.add_error("volume_cap_mb", _("按大小分册时请填写每册大小上限。"))
        return data

    def options(self) -> Options:
        data = self.cleaned_data
        size_rule = data["volume_rule"] == PackageExport.VolumeRule.SIZE
        return Options(
            campaign_id=data["campaign"].pk,
            area_ids=tuple(sorted(int(a) for a in data["areas"])) if data["scope"] == "areas" else (),
            unit_ids=tuple(sorted(u.pk for u in data["units"])) if data["scope"] == "units" else (),
            include_pending=data["include_pending"],
            volume_rule=data["volume_rule"],
            volume_cap=data["volume_cap_mb"] * MIB if size_rule else None,
        )


class ReportForm(forms.Form):
    KINDS = [("progress", _("推进情况报告")), ("annual", _("年度法治政府建设情况报告（初稿）"))]

    kind = forms.ChoiceField(label=_("报告"), choices=KINDS, widget=forms.RadioSelect, initial="progress")
    as_of = forms.DateField(label=_("数据截至"), widget=DateInput(), help_text=_("进度按这一天结束时的审核状态计算。"))
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, required=False, help_text=_("年度报告统计的年份。")
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.campaign = campaign
        self.fields["as_of"].initial = min(today, campaign.target_date)
        self.fields["year"].initial = today.year

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("不能生成未来日期的报告。"))
        if day < self.campaign.start_date:
            raise forms.ValidationError(_("这一天创建活动还没有开始。"))
        return day
