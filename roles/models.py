import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models
from django.utils import timezone

DEFAULT_ROLE = "USER"


class Role(models.Model):
    """A node of the role tree: a role holds its own permissions and those of every role below it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    permissions = models.ManyToManyField(Permission, blank=True, related_name="atlas_roles")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "name"]
        permissions = [("manage_roles", "Can manage the role tree")]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls):
        return cls.objects.filter(name=DEFAULT_ROLE).first()

    def subtree_ids(self):
        """This role's id and all its descendants' (the tree is small: one query per level)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(Role.objects.filter(parent__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids

    def all_permissions(self):
        return Permission.objects.filter(atlas_roles__in=self.subtree_ids()).distinct()

    def includes(self, other):
        return other is not None and other.pk in self.subtree_ids()


class Group(models.Model):
    """An organisation (a university, a studio) whose members are invited by e-mail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="atlas_groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("invite_members", "Can invite people to a group")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.SET_NULL,
        help_text="The member's role inside this group, if it differs from their own.",
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="one_membership_per_group")]

    def __str__(self):
        return f"{self.user} in {self.group}"


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An e-mailed invitation to join a group; the link in the mail carries a token whose hash is kept."""

    LIFETIME = timedelta(days=14)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.group}"

    def new_token(self):
        """Sets a fresh token (each sending gets one) and returns it in the clear, once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.expires_at = timezone.now() + self.LIFETIME
        return token

    def matches(self, token):
        return secrets.compare_digest(self.token_hash, hash_token(token or ""))
