"""URL configuration: every page needs login (LoginRequiredMiddleware) except the login page."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("fluxweb.generations.urls")),
    path("", include("fluxweb.gallery.urls")),
    path("", include("fluxweb.api.urls")),
    path("", include("fluxweb.budgets.urls")),
    path("", include("fluxweb.providerstatus.urls")),
]
