"""The left navigation, grouped by job (DESIGN.md §4.1); each item names the roles that use it."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from luhsan_portal.access import Role

OFFICE = frozenset({Role.OFFICE, Role.ADMIN})
READERS = frozenset({Role.OFFICE, Role.ADMIN, Role.LEADER})
EVERYONE = frozenset(Role)
RECTIFICATIONS = "supervision:rectification"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    active_prefix: str = ""


NAV = [
    (_("工作台"), [NavItem(_("首页"), "home", EVERYONE, "home")]),
    (_("指标体系"), [NavItem(_("指标体系"), "indicators:indicator_tree", EVERYONE, "indicators:indicator_")]),
    (
        _("任务分解"),
        [
            NavItem(_("本单位任务"), "indicators:my_tasks", frozenset({Role.LIAISON}), "indicators:my_tasks"),
            NavItem(_("责任清单"), "indicators:assignment_matrix", READERS, "indicators:assignment_"),
            NavItem(_("责任单位"), "units:unit_list", READERS | {Role.SUPERVISOR}, "units:"),
            NavItem(_("数据导入"), "indicators:import_list", OFFICE, "indicators:import_"),
        ],
    ),
    (
        _("材料审核"),
        [
            NavItem(_("审核工作台"), "evidence:review_queue", OFFICE, "evidence:review_"),
            NavItem(_("链接检测"), "evidence:link_list", OFFICE | {Role.LIAISON}, "evidence:link_"),
            NavItem(_("一对一反馈清单"), "reports:feedback", OFFICE, "reports:feedback"),
        ],
    ),
    (
        _("督导整改"),
        [
            NavItem(_("我的督导"), "supervision:my_visits", frozenset({Role.SUPERVISOR}), "supervision:my_visits"),
            NavItem(_("督导轮次"), "supervision:round_list", READERS, "supervision:round"),
            NavItem(
                _("本单位整改"),
                "supervision:rectification_list",
                frozenset({Role.LIAISON}),
                "supervision:rectification",
            ),
            NavItem(
                _("整改清单"),
                "supervision:rectification_list",
                READERS | {Role.SUPERVISOR},
                "supervision:rectification",
            ),
        ],
    ),
    (
        _("工作简报"),
        [
            NavItem(_("工作简报"), "bulletins:bulletin_list", EVERYONE, "bulletins:bulletin_"),
            NavItem(_("创建专栏"), "bulletins:post_list", OFFICE, "bulletins:post_"),
        ],
    ),
    (
        _("统计分析"),
        [
            NavItem(_("总览"), "reports:dashboard", READERS, "reports:dashboard"),
            NavItem(_("本单位进度"), "reports:my_unit_dashboard", frozenset({Role.LIAISON}), "reports:unit_dashboard"),
            NavItem(_("指标完成情况"), "reports:indicator_states", READERS, "reports:indicator_states"),
            NavItem(_("任务明细"), "reports:assignment_list", READERS, "reports:assignment_list"),
            NavItem(_("生成报告"), "reports:report_documents", READERS, "reports:report_documents"),
        ],
    ),
    (_("材料包导出"), [NavItem(_("材料包导出"), "reports:package_list", OFFICE, "reports:package_")]),
    (
        _("系统管理"),
        [
            NavItem(_("用户与角色"), "admin:accounts_user_changelist", frozenset({Role.ADMIN}), "admin:accounts_"),
            NavItem(
                _("审计日志"), "admin:luhsan_portal_auditevent_changelist", frozenset({Role.ADMIN}), "admin:luhsan_"
            ),
        ],
    ),
]


def user_role(user) -> str:
    """The role the UI treats the user as; superusers without a role act as administrators."""
    return user.role or (Role.ADMIN if user.is_superuser else "")


def build_nav(request) -> list[dict]:
    role = user_role(request.user)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    groups = []
    for title, items in NAV:
        entries = []
        for item in items:
            if role not in item.roles:
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            active = bool(item.active_prefix) and current.startswith(item.active_prefix)
            entries.append({"label": item.label, "url": url, "active": active})
        if entries:
            groups.append({"title": title, "items": entries})
    return groups
