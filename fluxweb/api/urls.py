from django.urls import path

from . import token_views, views

app_name = "api"
urlpatterns = [
    path("v1/images/generations", views.images_generations, name="images-generations"),
    path("v1/models", views.models, name="models"),
    path("v1/openapi.json", views.openapi, name="openapi"),
    path("v1/images/links/<str:token>/", views.image_link, name="image-link"),
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.revoke, name="revoke-token"),
]
