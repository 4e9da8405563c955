"""Admin for items: the work queue (status, progress, queue position, workers) with retry and cancel."""

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince

from . import pipelines, selectors, services
from .models import Item, ItemFile


class ItemFileInline(admin.TabularInline):
    model = ItemFile
    extra = 0
    readonly_fields = ["kind", "iteration", "file", "content_type", "size", "created_at"]
    can_delete = False


def _skipped(counts, allowed):
    """'2 skipped (1 done, 1 processing): only failed or cancelled items can be retried.'"""
    skipped = sum(counts.values())
    detail = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    return f"{skipped} skipped ({detail}): {allowed}"


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["name", "status_badge", "pipeline_label", "owner", "stage_label", "progress", "queue_place",
                    "worker_beat", "failure"]
    list_display_links = ["name"]
    list_filter = ["status", "pipeline", "queue", "created_at"]
    list_select_related = ["owner"]
    list_per_page = 50
    search_fields = ["id", "name", "owner__email", "owner__nickname", "failure_reason", "worker"]
    readonly_fields = ["id", "owner", "pipeline", "method", "queue", "made_from", "status", "failure_reason", "log",
                       "attempts", "stage", "overall_position", "overall_size", "current_position", "current_size",
                       "stage_started_at", "timings", "worker", "created_at", "queued_at", "started_at",
                       "heartbeat_at", "finished_at"]
    inlines = [ItemFileInline]
    actions = ["retry", "cancel"]

    class Media:
        css = {"all": ["css/admin-queue.css"]}

    def get_queryset(self, request):
        return selectors.with_queue_position(super().get_queryset(request))

    @admin.display(description="status", ordering="status")
    def status_badge(self, item):
        return format_html('<span class="queue-status queue-status-{}">{}</span>', item.status,
                           item.get_status_display())

    @admin.display(description="pipeline", ordering="pipeline")
    def pipeline_label(self, item):
        return pipelines.label_of(item.pipeline)

    @admin.display(description="method")
    def method(self, item):
        return pipelines.get(item.pipeline).method if pipelines.is_registered(item.pipeline) else "—"

    @admin.display(description="stage", ordering="stage")
    def stage_label(self, item):
        if not item.stage:
            return None
        return pipelines.get(item.pipeline).stage_label(item.stage) if pipelines.is_registered(item.pipeline) \
            else item.stage

    @admin.display(description="made from")
    def made_from(self, item):
        source = selectors.source_of(item)
        if source is None:
            return None
        meta = source._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[source.pk])
        except NoReverseMatch:
            return f"{meta.verbose_name}: {source}"
        return format_html('<a href="{}">{}: {}</a>', url, meta.verbose_name, source)

    @admin.display(description="progress")
    def progress(self, item):
        """The percentage (Item.progress: the share of the expected time), and while processing the stage's count
        ("iteration 1,200 of 3,000") and the time left once known; the stage and its steps on hover."""
        progress = item.progress
        detail, words = "", []
        if item.status == Item.Status.PROCESSING and item.overall_size:
            detail = f"stage {max(item.overall_position, 1)} of {item.overall_size}"
            if item.current_size:
                detail += f", {item.current_position}/{item.current_size}"
            words = [text for text in (progress.counter, progress.time_left) if text]
        return format_html('<span class="queue-progress" title="{}"><progress max="100" value="{}"></progress> '
                           "{}%{}</span>", detail or item.get_status_display(), progress.percent, progress.percent,
                           format_html(' <small class="queue-progress-detail">{}</small>', ", ".join(words))
                           if words else "")

    @admin.display(description="queue position", ordering="queue_ahead")
    def queue_place(self, item):
        ahead = item.queue_ahead
        if ahead < 0:
            return None  # shown as the admin's empty value
        if item.status == Item.Status.PROCESSING:
            return "running"
        return f"{ahead} ahead" if ahead else "next"

    @admin.display(description="worker · heartbeat", ordering="heartbeat_at")
    def worker_beat(self, item):
        if not item.worker:
            return None
        if item.heartbeat_at is None:
            return item.worker
        age = timezone.now() - item.heartbeat_at
        ago = (f"{int(age.total_seconds())} s" if age < timedelta(minutes=1)
               else timesince(item.heartbeat_at).split(",")[0])
        if item.status == Item.Status.PROCESSING and age > timedelta(seconds=settings.ITEM_STALE_AFTER_SECONDS):
            return format_html('{}<br><small class="queue-stale">silent for {}: will be recovered</small>',
                               item.worker, ago)
        return format_html('{}<br><small class="queue-muted">{} ago</small>', item.worker, ago)

    @admin.display(description="failure reason")
    def failure(self, item):
        if not item.failure_reason:
            return None
        return format_html('<span title="{}">{}</span>', item.failure_reason,
                           Truncator(item.failure_reason).chars(60))

    @admin.action(description="Retry the selected failed or cancelled items")
    def retry(self, request, queryset):
        self._apply(request, queryset, services.retry_item, "{} item(s) queued again.",
                    "only failed or cancelled items can be retried.")

    @admin.action(description="Cancel the selected queued or processing items")
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.cancel_item, "{} item(s) cancelled.",
                    "only queued or processing items can be cancelled.")

    def _apply(self, request, queryset, change, done_message, allowed):
        """Runs `change` (a service that answers whether it applied) on each item and reports the outcome."""
        done, skipped = 0, Counter()
        for item in queryset:
            if change(item):
                done += 1
            else:
                skipped[item.status] += 1
        self._report(request, done_message.format(done), done, skipped, allowed)

    def _report(self, request, done_message, done, skipped, allowed):
        if done or not skipped:
            self.message_user(request, done_message, messages.SUCCESS if done else messages.INFO)
        if skipped:
            self.message_user(request, _skipped(skipped, allowed), messages.WARNING)


@admin.register(ItemFile)
class ItemFileAdmin(admin.ModelAdmin):
    list_display = ["item", "kind", "iteration", "content_type", "size", "created_at"]
    list_filter = ["kind", "content_type", "created_at"]
    search_fields = ["item__id", "item__name"]
