from django.apps import AppConfig


class GalleryConfig(AppConfig):
    """The shared gallery: browsing generations, serving their images, live updates."""

    name = "fluxweb.gallery"
