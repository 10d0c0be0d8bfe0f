from django.urls import path

from . import files, history, stars, views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("gallery/page/", views.page, name="page"),
    path("gallery/cards/<int:pk>/", views.card, name="card"),
    path("generations/<int:pk>/step/<str:direction>/", views.step, name="step"),
    path("gallery/events/", views.events, name="events"),
    path("generations/<int:pk>/favourite/", stars.favourite, name="favourite"),
    path("prompts/", history.prompts, name="prompts"),
    path("prompts/page/", history.prompts_page, name="prompts_page"),
    path("images/<int:pk>/", files.image, name="image"),
    path("images/<int:pk>/thumb/", files.thumbnail, name="thumbnail"),
    path("images/<int:pk>/download/", files.download, name="download"),
]
