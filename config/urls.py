from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dashboard.views import accounts as dashboard_accounts
from doors import basics

admin.site.site_header = "Atlas administration"
admin.site.site_title = "Atlas admin"
# No app list beside every page: wide tables (the item queue's) get the page's width instead of scrolling.
admin.site.enable_nav_sidebar = False



def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the API docs, files): the site's icon."""
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    # Ahead of allauth's own route for the same path: see dashboard.views.accounts.google_login.
    path("accounts/google/login/", dashboard_accounts.google_login),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("health", basics.HealthView.as_view(), name="health"),
    path("routes", basics.RouteListView.as_view(), name="routes"),
    path("", include("doors.atlas.urls")),
    path("", include("doors.scenes.urls")),
    path("", include("doors.faceid.urls")),
    path("", include("doors.studio.urls")),
    path("", include("doors.captures.urls")),
    path("", include("doors.oauth2.urls")),
    path("", include("dashboard.urls")),
    # Last: under a door's prefix, a path no route above matched is a 404 in that door's error shape.
    path("", include("doors.not_found")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
