from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def get_email_confirmation_url(self, request, emailconfirmation):
        """The link in the mail is seed 000's `GET /atlas/auth/confirm-email`, with the signed key."""
        from .services import confirmation_url

        return confirmation_url(request, emailconfirmation.email_address.user, emailconfirmation.key)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_auto_signup_allowed(self, request, sociallogin):
        return True
