from django.urls import path

from . import views

app_name = "generations"
urlpatterns = [
    path("generations/new/", views.create, name="create"),
    path("generations/form/", views.form, name="form"),
    path("generations/estimate/", views.estimate, name="estimate"),
]
