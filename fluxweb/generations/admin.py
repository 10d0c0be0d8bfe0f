from django.contrib import admin

from .models import GeneratedImage, Generation, Prompt
from .services import delete_generation


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    extra = 0
    readonly_fields = ["index", "file", "content_type", "width", "height", "size_bytes"]
    can_delete = False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "author",
        "model",
        "status",
        "width",
        "height",
        "estimated_cost_usd",
        "created_at",
    ]
    list_filter = ["status", "provider", "model"]
    search_fields = ["prompt__text", "author__username"]
    list_select_related = ["author", "prompt"]
    raw_id_fields = ["prompt"]
    readonly_fields = [
        "created_at",
        "started_at",
        "provider_called_at",
        "finished_at",
        "updated_at",
        "requeues",
    ]
    inlines = [GeneratedImageInline]

    # Through delete_generation, as the gallery deletes: files removed from storage, the
    # prompt history recounted, open galleries told.
    def delete_model(self, request, obj):
        delete_generation(obj)

    def delete_queryset(self, request, queryset):
        for generation in queryset:
            delete_generation(generation)


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["id", "__str__", "created_at"]
    search_fields = ["text"]
    readonly_fields = ["text_hash", "created_at"]
