from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def get_email_confirmation_url(self, request, emailconfirmation):
        """The link in the mail is seed 000's `GET /atlas/auth/confirm-email`, with the signed key."""
        from .services import confirmation_url

        address = emailconfirmation.email_address
        return confirmation_url(request, address.user, emailconfirmation.key, email=address.email)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_auto_signup_allowed(self, request, sociallogin):
        return True
