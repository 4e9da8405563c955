from django.contrib import admin

from .models import Face, FaceProject, PeopleImport, Recognition, Subject


class SubjectInline(admin.TabularInline):
    model = Subject
    extra = 0
    fields = ["group_id", "registrant", "status", "properties", "created_at"]
    readonly_fields = ["created_at"]
    show_change_link = True


class FaceInline(admin.TabularInline):
    model = Face
    extra = 0
    fields = ["image", "quality", "left", "top", "right", "bottom", "created_at"]
    readonly_fields = fields
    can_delete = True


@admin.register(FaceProject)
class FaceProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "group", "match_threshold", "save_recognition_images", "created_at"]
    list_filter = ["save_recognition_images", "created_at"]
    search_fields = ["name", "owner__email", "owner__username", "group__name"]
    readonly_fields = ["faces_version", "created_at", "updated_at"]
    raw_id_fields = ["owner"]
    inlines = [SubjectInline]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "group_id", "status", "registrant", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["registrant", "status", "project__name"]
    raw_id_fields = ["project"]
    inlines = [FaceInline]


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "kind", "outcome", "subject", "similarity", "threshold"]
    list_filter = ["kind", "outcome", "created_at"]
    search_fields = ["project__name", "reason"]
    readonly_fields = [f.name for f in Recognition._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PeopleImport)
class PeopleImportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "uploaded_by", "created_at"]
    search_fields = ["original_filename", "project__name"]
    readonly_fields = ["project", "archive", "original_filename", "uploaded_by", "created_at"]
