from allauth.account.signals import email_confirmed
from django.dispatch import receiver


@receiver(email_confirmed)
def mark_user_confirmed(request, email_address, **kwargs):
    user = email_address.user
    if user.email == email_address.email and not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    # Invitations sent before the person had an account are mailed once they can use them.
    from roles.services import send_pending_invitations

    send_pending_invitations(request, user)
