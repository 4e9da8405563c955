from django.contrib import admin
from django.db import models

from .models import Garment


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
