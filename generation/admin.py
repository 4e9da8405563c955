from django.contrib import admin
from django.db import models

from .models import Garment, Generation


@admin.register(Garment)
class GarmentAdmin(admin.ModelAdmin):
    """Every account's garments; each account replaces its own with /upload_clothes."""

    list_display = ["brand", "name", "gender", "owner", "colour_count", "url", "row", "upload_name", "created_at"]
    list_filter = ["brand", "gender", "created_at"]
    search_fields = ["name", "brand", "url", "owner__email", "owner__nickname"]
    readonly_fields = ["name_key", "brand_key", "created_at", "updated_at"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]
    ordering = ["brand_key", "name_key", "-created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="colours")
    def colour_count(self, garment):
        return len(garment.colors or [])


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    """Every avatar picture and video asked for; the item that makes each is in the queue (gallery items)."""

    list_display = ["task_id", "kind", "owner", "status", "renderer", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["task_id", "owner__email", "owner__nickname"]
    readonly_fields = ["task_id", "owner", "kind", "request", "spec", "renderer", "created_at"]
    list_select_related = ["owner"]

    @admin.display(description="status")
    def status(self, generation):
        item = generation.item
        return item.get_status_display() if item else "-"

    def has_add_permission(self, request):
        return False  # asked for through /generate, /generate_video or the studio page
