"""The default role tree. A parent role includes every permission of the roles below it.

SUPER_ADMIN > ADMIN > USER > GUEST; new accounts get USER.
"""

from django.db import migrations

ROLES = [
    # name, parent, description, permissions (app_label, model, codename, name)
    ("SUPER_ADMIN", None, "Runs the installation: manages roles and everything below.",
     [("roles", "role", "manage_roles", "Can manage the role tree")]),
    ("ADMIN", "SUPER_ADMIN", "Manages groups and invites people to them.",
     [("roles", "group", "invite_members", "Can invite people to a group")]),
    ("USER", "ADMIN", "A person using Atlas: creates items and may issue Face ID API keys.",
     [("accounts", "user", "issue_api_key", "Can issue Face ID API keys")]),
    ("GUEST", "USER", "A restricted account: signs in, may not issue API keys.", []),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("roles", "Role")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name, parent, description, permissions in ROLES:
        role, _ = Role.objects.get_or_create(
            name=name,
            defaults={"description": description, "parent": Role.objects.filter(name=parent).first()},
        )
        for app_label, model, codename, perm_name in permissions:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": perm_name}
            )
            role.permissions.add(permission)


def remove_roles(apps, schema_editor):
    apps.get_model("roles", "Role").objects.filter(name__in=[r[0] for r in reversed(ROLES)]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
