"""What the roles app adds to an account's life: its default role, and invitations that wait for a confirmed
address. Roles listens to accounts; accounts never imports roles."""

from allauth.account.signals import email_confirmed
from django.db.models.signals import pre_save
from django.dispatch import receiver

from accounts.models import User

from .models import Role
from .services import send_pending_invitations


@receiver(pre_save, sender=User)
def give_the_default_role(sender, instance, **kwargs):
    if instance.role_id is None:
        instance.role = Role.default()


@receiver(email_confirmed)
def send_invitations_waiting_for_the_address(request, email_address, **kwargs):
    """Invitations sent before the person had an account are mailed once they can use them."""
    send_pending_invitations(request, email_address.user)
