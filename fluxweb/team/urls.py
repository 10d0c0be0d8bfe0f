from django.urls import path

from . import views

app_name = "team"
urlpatterns = [
    path("team/", views.members_page, name="members"),
    path("team/bulk/", views.bulk, name="bulk"),
    path("team/members/<int:pk>/", views.member, name="member"),
    path("team/members/<int:pk>/edit/", views.edit_member, name="edit"),
    path("team/members/<int:pk>/limits/", views.add_limit, name="add_limit"),
    path(
        "team/members/<int:pk>/limits/<int:limit_pk>/delete/",
        views.delete_limit,
        name="delete_limit",
    ),
    path("team/members/<int:pk>/active/", views.toggle_active, name="active"),
    path("team/members/<int:pk>/password-reset/", views.password_reset, name="password_reset"),
    path("team/members/<int:pk>/unlock/", views.unlock_member, name="unlock"),
    path("team/teams/", views.teams, name="teams"),
    path("team/teams/<int:pk>/", views.team_detail, name="team"),
]
