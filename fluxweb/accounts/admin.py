from django.contrib import admin

from .models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "invited_by", "created_at", "expires_at", "accepted_by", "revoked_at"]
    search_fields = ["email"]
    readonly_fields = ["key_hash", "accepted_at", "accepted_by", "emailed"]
