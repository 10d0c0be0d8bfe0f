from django.urls import path

from . import views

app_name = "providerstatus"
urlpatterns = [
    path("providers/status/", views.status, name="status"),
]
