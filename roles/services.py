"""Group invitations: sent by e-mail, accepted through seed 000's confirm-invite-email link."""

from urllib.parse import urlencode

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from core.errors import Unauthenticated

from .models import Invitation, Membership


def invite(request, group, email, invited_by=None):
    invitation = Invitation(group=group, email=normalize_email(email), invited_by=invited_by)
    invitation.new_token()
    invitation.save()
    send_invitation(request, invitation)
    return invitation


def send_invitation(request, invitation):
    """Mails the link; to an address with no confirmed account yet, mails how to make one first."""
    from accounts.services import absolute_url

    user = User.objects.filter(email=invitation.email, email_verified=True).first()
    if user is None:
        send_mail(
            f"[Atlas] You are invited to join {invitation.group.name}",
            f"You are invited to join {invitation.group.name} on Atlas.\n\n"
            f"Create your Atlas account with this address ({invitation.email}) and confirm it: "
            "the invitation link will follow by e-mail.\n"
            f"{absolute_url(request, '/')}\n",
            None,
            [invitation.email],
        )
        return
    token = invitation.new_token()
    query = urlencode({"email": user.email, "userId": str(user.public_id),
                       "groupId": str(invitation.group_id), "token": token})
    link = absolute_url(request, f"/atlas/auth/confirm-invite-email?{query}")
    send_mail(
        f"[Atlas] Join {invitation.group.name}",
        f"You are invited to join {invitation.group.name} on Atlas.\n\nOpen this link to join:\n{link}\n\n"
        f"The link works until {invitation.expires_at:%Y-%m-%d}.",
        None,
        [user.email],
    )
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])


def send_pending_invitations(request, user):
    for invitation in Invitation.objects.pending().filter(email=user.email, sent_at__isnull=True):
        send_invitation(request, invitation)


@transaction.atomic
def accept_invitation(*, email, user_id, group_id, token):
    """Joins the group named in the invitation; any mismatch is refused the same way."""
    refusal = Unauthenticated("This invitation link is invalid or has expired. Ask for a new invitation.")
    user = User.objects.filter(email=normalize_email(email), public_id=user_id, is_active=True).first()
    if user is None:
        raise refusal
    invitation = next(
        (i for i in Invitation.objects.pending().filter(email=user.email, group_id=group_id) if i.matches(token)),
        None,
    )
    if invitation is None:
        raise refusal
    Membership.objects.get_or_create(user=user, group=invitation.group)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user
