from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("gallery/cards/<int:pk>/", views.card, name="card"),
    path("gallery/events/", views.events, name="events"),
    path("images/<int:pk>/", views.image, name="image"),
]
