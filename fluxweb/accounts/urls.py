from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("accounts/me/", views.account, name="account"),
    path("accounts/invitations/", views.invitations, name="invitations"),
    path("accounts/invitations/<int:pk>/revoke/", views.revoke, name="revoke-invitation"),
    path("accounts/invite/<str:key>/", views.accept, name="accept"),
]
