from django.urls import path

from . import rates, views

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(
        "providers/status/<slug:slug>/use-reported-rate/",
        rates.use_reported_rate,
        name="use_reported_rate",
    ),
]
