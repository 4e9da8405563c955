import uuid
from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone


def normalize_email(email):
    """E-mail addresses are compared case-insensitively: stored lower-case, trimmed."""
    return (email or "").strip().lower() or None


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def _create_user(self, username=None, email=None, password=None, **extra_fields):
        user = self.model(username=username or None, email=normalize_email(email), **extra_fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email=email, password=password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, email_verified=True)
        return self._create_user(email=email, password=password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))


def avatar_path(user, filename):
    return f"avatars/{user.public_id}/avatar.jpg"


def avatar_thumbnail_path(user, filename):
    return f"avatars/{user.public_id}/thumbnail.jpg"


class User(AbstractUser):
    """One account behind every door: e-mail is the login; scenes clients log in by username."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("e-mail", unique=True, null=True, blank=True)
    username = models.CharField(
        max_length=150, unique=True, null=True, blank=True, validators=[UnicodeUsernameValidator()],
        help_text="Optional; scenes clients sign in with it.",
    )
    email_verified = models.BooleanField("e-mail verified", default=False)
    nickname = models.CharField(max_length=50, blank=True)
    full_name = models.CharField(max_length=150, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    ethnicity = models.CharField(max_length=64, blank=True)
    gender = models.CharField(max_length=32, blank=True)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    avatar_thumbnail = models.ImageField(upload_to=avatar_thumbnail_path, blank=True)
    role = models.ForeignKey("roles.Role", null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    notify_job_emails = models.BooleanField(
        # db_default too: rows written by code that predates the column (older migrations' states) get it on.
        "e-mail me when a model is ready or fails", default=True, db_default=True,
        help_text="An e-mail when a capture's 3D model is ready or could not be made (set on the profile page).")

    first_name = None
    last_name = None

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["-date_joined"]
        permissions = [("issue_api_key", "Can issue Face ID API keys")]

    def __str__(self):
        return self.email or self.username or str(self.public_id)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.username = self.username or None
        # A new account's default role is set by the roles app (roles/signals.py, on pre_save).
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.nickname or str(self)

    def get_short_name(self):
        return self.nickname or str(self)

    @property
    def signs_in_with_google(self):
        """Made through Google sign-in and never given a password."""
        return not self.has_usable_password() and self.socialaccount_set.filter(provider="google").exists()

    @property
    def date_of_birth_timestamp(self):
        """The studio door speaks dates of birth as Unix seconds (midnight UTC)."""
        if self.date_of_birth is None:
            return None
        return int(datetime.combine(self.date_of_birth, time(), tzinfo=UTC).timestamp())

    @staticmethod
    def date_from_timestamp(seconds):
        return datetime.fromtimestamp(int(seconds), tz=UTC).date()


class UserDetails(models.Model):
    """The studio's body and face description of a person (seed 003 "user details")."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="details", primary_key=True)
    face_shape = models.CharField(max_length=64, blank=True)
    skin_tone = models.IntegerField(default=0)
    # Clients send these as free text or as lists of {key, value}; kept exactly as sent.
    body_dimensions = models.JSONField(default=str, blank=True)
    real_world_measurements = models.JSONField(default=str, blank=True)
    hair_style = models.CharField(max_length=64, blank=True)
    hair_color = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user details"

    def __str__(self):
        return f"details of {self.user}"


class SessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())


class Session(models.Model):
    """A signed-in device. Every token carries its id, so ending the session refuses its tokens at once."""

    class Kind(models.TextChoices):
        PASSWORD = "password", "password"
        GOOGLE = "google", "Google"
        CODE = "code", "e-mailed code"
        API_KEY = "api_key", "API key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    door = models.CharField(max_length=16, help_text="The API door the session signed in through.")
    api_key = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} via {self.door} ({self.kind})"

    @property
    def is_active(self):
        return self.ended_at is None and self.expires_at > timezone.now()

    @property
    def latest_end(self):
        """No session outlives this, however often its tokens are renewed (the refresh token's 14 days)."""
        return self.created_at + settings.REFRESH_TOKEN_LIFETIME

    def end(self):
        if self.ended_at is None:
            self.ended_at = timezone.now()
            self.save(update_fields=["ended_at"])


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key pair for machines: the key (public: Face ID's `key`, OAuth2's `client_id`) and a secret that is
    shown once; only the secret's hash is kept. Revoking it ends every session it started."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, help_text="What the key is for, as its owner named it.")
    secret_hash = models.CharField(max_length=255, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return str(self.key)

    def set_secret(self, secret):
        self.secret_hash = make_password(secret)

    def check_secret(self, secret):
        # The hash is checked even for a revoked key, so a revoked key answers as slowly as a live one.
        matches = check_password(secret, self.secret_hash)
        return matches and self.revoked_at is None


class SignInCode(models.Model):
    """A one-time code e-mailed to sign in without a password (the studio's e-mail-only login)."""

    MAX_ATTEMPTS = 5

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_codes")
    code_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"sign-in code for {self.user}"

    @property
    def is_usable(self):
        return self.used_at is None and self.expires_at > timezone.now() and self.attempts < self.MAX_ATTEMPTS
