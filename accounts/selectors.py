"""Reads about accounts that pages and doors show."""

from .models import ApiKey


def api_keys_of(user):
    """The account's live API key pairs, newest first (revoked ones stay in the admin only)."""
    return ApiKey.objects.active().filter(user=user).order_by("-created_at")
