"""URL configuration: every page needs login (LoginRequiredMiddleware) except the pages
for signing in (django-allauth's, under /accounts/), an invitation link, and /healthz.

Sign-up (``account_signup``) is routed to fluxweb's view, which fixes the email address to
the invitation's; the allauth adapter keeps it closed without an invitation.
"""

from django.contrib import admin
from django.urls import include, path

from fluxweb.accounts.views import invited_signup

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", invited_signup, name="account_signup"),
    path("", include("fluxweb.accounts.urls")),
    path("accounts/", include("fluxweb.accounts.allauth_urls")),
    path("", include("fluxweb.ops.urls")),
    path("", include("fluxweb.generations.urls")),
    path("", include("fluxweb.gallery.urls")),
    path("", include("fluxweb.api.urls")),
    path("", include("fluxweb.usage.urls")),
    path("", include("fluxweb.providerstatus.urls")),
    path("", include("fluxweb.team.urls")),
]

# Under /v1/ errors answer OpenAI's error JSON; elsewhere Django's error pages.
handler400 = "fluxweb.api.errors.bad_request"
handler403 = "fluxweb.api.errors.permission_denied"
handler404 = "fluxweb.api.errors.page_not_found"
handler500 = "fluxweb.api.errors.server_error"
