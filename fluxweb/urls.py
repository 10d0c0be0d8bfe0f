"""URL configuration: every page needs login (LoginRequiredMiddleware) except the login
page and /healthz.

Of django.contrib.auth's views only log in/out and password change are routed: password
reset would send email, which fluxweb does not configure (the admin resets passwords).
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("fluxweb.ops.urls")),
    path("", include("fluxweb.generations.urls")),
    path("", include("fluxweb.gallery.urls")),
    path("", include("fluxweb.api.urls")),
    path("", include("fluxweb.usage.urls")),
    path("", include("fluxweb.providerstatus.urls")),
    path("", include("fluxweb.team.urls")),
]
