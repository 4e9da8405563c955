from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import services
from .models import ApiKey, Session, SignInCode, User, UserDetails


class UserDetailsInline(admin.StackedInline):
    model = UserDetails
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "username", "nickname", "role", "email_verified", "is_active", "date_joined"]
    list_filter = ["email_verified", "is_active", "is_staff", "role", "date_joined"]
    search_fields = ["email", "username", "nickname", "full_name", "public_id"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    inlines = [UserDetailsInline]
    fieldsets = [
        (None, {"fields": ["public_id", "email", "username", "password"]}),
        ("Profile", {"fields": ["nickname", "full_name", "date_of_birth", "ethnicity", "gender",
                                "avatar", "avatar_thumbnail"]}),
        ("Access", {"fields": ["role", "email_verified", "is_active", "is_staff", "is_superuser",
                               "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = ["user_permissions"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["user", "door", "kind", "created_at", "expires_at", "ended_at", "ip_address"]
    list_filter = ["door", "kind", "created_at", "ended_at"]
    search_fields = ["user__email", "user__username", "ip_address", "id"]
    readonly_fields = [f.name for f in Session._meta.fields]
    actions = ["end_sessions"]

    @admin.action(description="End the selected sessions (their tokens stop working)")
    def end_sessions(self, request, queryset):
        for session in queryset:
            session.end()


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["created_at", "revoked_at"]
    search_fields = ["key", "name", "user__email", "user__username"]
    readonly_fields = ["key", "user", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    @admin.action(description="Revoke the selected keys (the tokens they gave out stop working)")
    def revoke_keys(self, request, queryset):
        for api_key in queryset.active():
            services.revoke_api_key(api_key.user, api_key.key)


@admin.register(SignInCode)
class SignInCodeAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "used_at", "attempts"]
    list_filter = ["created_at", "used_at"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "created_at", "expires_at", "used_at", "attempts"]
    exclude = ["code_hash"]


@admin.register(UserDetails)
class UserDetailsAdmin(admin.ModelAdmin):
    list_display = ["user", "face_shape", "skin_tone", "hair_style", "hair_color", "updated_at"]
    list_filter = ["face_shape", "skin_tone"]
    search_fields = ["user__email", "user__username"]
