from allauth.account.signals import email_confirmed, password_changed, password_reset, password_set
from django.dispatch import receiver


@receiver(email_confirmed)
def mark_user_confirmed(request, email_address, **kwargs):
    user = email_address.user
    if user.email == email_address.email and not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])


@receiver(password_changed)
@receiver(password_reset)
@receiver(password_set)
def end_api_sessions_on_new_password(request, user, **kwargs):
    """A new password set in the browser ends the account's API sessions too, as it does through the doors."""
    from .services import end_other_sessions

    end_other_sessions(user)
