from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from luhsan_portal import views
from luhsan_portal.forms import LoginForm

admin.site.site_header = "示范创建管理平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("campaign/switch/", views.campaign_switch, name="campaign_switch"),
    path("", include("indicators.urls")),
    path("", include("evidence.urls")),
    path("", include("reports.urls")),
    path("supervision/", include("supervision.urls")),
    path("bulletins/", include("bulletins.urls")),
    path("zhuanlan/", include("bulletins.column_urls")),
    path("units/", include("units.urls")),
    path("api/v1/", include("luhsan_portal.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]

handler403 = "luhsan_portal.views.error_403"
handler404 = "luhsan_portal.views.error_404"
handler500 = "luhsan_portal.views.error_500"
