from django.urls import path

from . import detail, files, history, views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("gallery/page/", views.page, name="page"),
    path("gallery/cards/<int:pk>/", views.card, name="card"),
    path("gallery/events/", views.events, name="events"),
    path("generations/<int:pk>/", detail.detail, name="detail"),
    path("generations/<int:pk>/favourite/", detail.favourite, name="favourite"),
    path("generations/<int:pk>/pin/", detail.pin, name="pin"),
    path("generations/<int:pk>/delete/", detail.delete, name="delete"),
    path("prompts/", history.prompts, name="prompts"),
    path("prompts/page/", history.prompts_page, name="prompts_page"),
    path("images/<int:pk>/", files.image, name="image"),
    path("images/<int:pk>/thumb/", files.thumbnail, name="thumbnail"),
    path("images/<int:pk>/download/", files.download, name="download"),
]
