from django.contrib import admin

from .models import ProviderStatus


@admin.register(ProviderStatus)
class ProviderStatusAdmin(admin.ModelAdmin):
    """Read-only: the worker writes these rows."""

    list_display = ["slug", "last_success_at", "last_error_at", "credits_remaining"]
    readonly_fields = [field.name for field in ProviderStatus._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
