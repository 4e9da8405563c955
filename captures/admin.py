from django.contrib import admin

from .models import Capture, UploadPart, WorkerSpeed


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


@admin.register(WorkerSpeed)
class WorkerSpeedAdmin(admin.ModelAdmin):
    """Measured by the workers (`manage.py calibrate`); deleting a row makes that worker measure again."""

    list_display = ["host", "device", "threads", "rasterizer", "training_seconds", "cpu_seconds", "runs",
                    "updated_at"]
    readonly_fields = ["host", "device", "threads", "rasterizer", "training_seconds", "cpu_seconds", "corrections",
                       "runs", "measured_at", "updated_at"]

    def has_add_permission(self, request):
        return False
