from django.urls import path

from . import pages, safety_views, views

app_name = "generations"
urlpatterns = [
    path("generations/new/", views.create, name="create"),
    path("generations/form/", views.form, name="form"),
    path("generations/estimate/", views.estimate, name="estimate"),
    path("generations/welcome/", views.welcome, name="welcome"),
    path("generations/<int:pk>/", pages.detail, name="detail"),
    path("generations/<int:pk>/pin/", pages.pin, name="pin"),
    path("generations/<int:pk>/cancel/", pages.cancel, name="cancel"),
    path("generations/<int:pk>/retry/", pages.retry, name="retry"),
    path("generations/<int:pk>/delete/", pages.delete, name="delete"),
    path("settings/safety/", safety_views.safety_settings, name="safety"),
]
