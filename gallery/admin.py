from django.contrib import admin, messages

from . import services
from .models import Item, ItemFile


class ItemFileInline(admin.TabularInline):
    model = ItemFile
    extra = 0
    readonly_fields = ["kind", "iteration", "file", "content_type", "size", "created_at"]
    can_delete = False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "pipeline", "status", "stage", "progress", "queue_position", "worker",
                    "created_at"]
    list_filter = ["status", "pipeline", "queue", "created_at"]
    search_fields = ["id", "name", "owner__email", "owner__username", "failure_reason"]
    readonly_fields = ["id", "owner", "pipeline", "queue", "capture", "status", "failure_reason", "log", "attempts",
                       "stage", "overall_position", "overall_size", "current_position", "current_size", "worker",
                       "created_at", "queued_at", "started_at", "heartbeat_at", "finished_at"]
    inlines = [ItemFileInline]
    actions = ["retry", "cancel"]

    @admin.display(description="progress")
    def progress(self, item):
        return f"{item.progress_fraction:.0%}"

    @admin.action(description="Retry the selected failed or cancelled items")
    def retry(self, request, queryset):
        count = sum(services.retry_item(item) for item in queryset)
        self.message_user(request, f"{count} item(s) queued again.", messages.SUCCESS)

    @admin.action(description="Cancel the selected queued or processing items")
    def cancel(self, request, queryset):
        count = sum(services.cancel_item(item) for item in queryset)
        self.message_user(request, f"{count} item(s) cancelled.", messages.SUCCESS)


@admin.register(ItemFile)
class ItemFileAdmin(admin.ModelAdmin):
    list_display = ["item", "kind", "iteration", "content_type", "size", "created_at"]
    list_filter = ["kind", "content_type", "created_at"]
    search_fields = ["item__id", "item__name"]
