from django.urls import path

from . import compare_views, pages, safety_views, views

app_name = "generations"
urlpatterns = [
    path("generations/new/", views.create, name="create"),
    path("generations/form/", views.form, name="form"),
    path("generations/estimate/", views.estimate, name="estimate"),
    path("generations/welcome/", views.welcome, name="welcome"),
    path("generations/compare/", compare_views.compare, name="compare"),
    path("generations/compare/estimate/", compare_views.compare_estimate, name="compare_estimate"),
    path("generations/batches/<int:pk>/", compare_views.batch, name="batch"),
    path("generations/batches/<int:pk>/grid/", compare_views.batch_grid, name="batch_grid"),
    path("generations/<int:pk>/", pages.detail, name="detail"),
    path("generations/<int:pk>/pin/", pages.pin, name="pin"),
    path("generations/<int:pk>/cancel/", pages.cancel, name="cancel"),
    path("generations/<int:pk>/retry/", pages.retry, name="retry"),
    path("generations/<int:pk>/delete/", pages.delete, name="delete"),
    path("settings/safety/", safety_views.safety_settings, name="safety"),
]
