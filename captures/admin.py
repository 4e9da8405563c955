from django.contrib import admin

from .models import Capture, UploadPart


class UploadPartInline(admin.TabularInline):
    model = UploadPart
    extra = 0
    readonly_fields = ["number", "size", "etag", "received_at"]
    exclude = ["file"]
    can_delete = False


@admin.register(Capture)
class CaptureAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "input_data_format", "state", "bytesize", "is_public", "created_at",
                    "uploaded_at"]
    list_filter = ["input_data_format", "is_public", "created_at", "uploaded_at"]
    search_fields = ["name", "eid", "sid", "owner__email", "owner__username"]
    readonly_fields = ["eid", "sid", "owner", "bytesize", "chunk_size", "num_parts", "source", "media_info",
                       "client_metadata", "created_at", "uploaded_at"]
    inlines = [UploadPartInline]


@admin.register(UploadPart)
class UploadPartAdmin(admin.ModelAdmin):
    list_display = ["capture", "number", "size", "etag", "received_at"]
    list_filter = ["received_at"]
    search_fields = ["capture__eid", "capture__name", "etag"]
