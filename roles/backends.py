from django.contrib.auth.backends import ModelBackend


class RolePermissionBackend(ModelBackend):
    """Grants each user the permissions of their role and of every role below it in the tree.

    Roles take the place of Django's auth groups, so they are read where group permissions would be.
    """

    def _get_group_permissions(self, user_obj):
        from django.contrib.auth.models import Permission

        if user_obj.role_id is None:
            return Permission.objects.none()
        return user_obj.role.all_permissions()
