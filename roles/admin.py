from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup

from . import services
from .models import Group, Invitation, Membership, Role

# Roles take the place of Django's auth groups.
admin.site.unregister(AuthGroup)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "description", "created_at", "updated_at"]
    list_filter = ["parent", "created_at"]
    search_fields = ["name", "description"]
    filter_horizontal = ["permissions"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "description"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["group", "role", "joined_at"]
    search_fields = ["user__email", "group__name"]
    autocomplete_fields = ["user", "group"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "group", "invited_by", "created_at", "sent_at", "accepted_at", "expires_at"]
    list_filter = ["group", "created_at", "accepted_at"]
    search_fields = ["email", "group__name"]
    fields = ["group", "email"]
    actions = ["resend"]

    def get_readonly_fields(self, request, obj=None):
        return ["group", "email"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # Creating an invitation in the admin sends it.
        invitation = services.invite(request, obj.group, obj.email, invited_by=request.user)
        obj.pk = invitation.pk

    @admin.action(description="Send the selected invitations again")
    def resend(self, request, queryset):
        for invitation in queryset.pending():
            services.send_invitation(request, invitation)
