from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings

from accounts.avatars import human_size
from accounts.models import ApiKey, User, normalize_email
from core.names import validate_name


class ProfileForm(forms.Form):
    """The nickname, optionally a new avatar photo (its bytes are checked by accounts.avatars), and whether to
    be e-mailed when a model is ready or fails (captures/notifications.py)."""

    nickname = forms.CharField(
        label="Nickname", max_length=User._meta.get_field("nickname").max_length, required=False,
        validators=[validate_name],
        help_text="Shown instead of your e-mail address.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    avatar = forms.FileField(
        label="Avatar photo", required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    notify_job_emails = forms.BooleanField(
        label="E-mail me when a model is ready or fails", required=False,
        help_text="One e-mail when a capture's 3D model is ready, or could not be made and why.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read on each use: the limits are settings.
        self.fields["avatar"].help_text = (f"A JPEG or PNG photo, up to {human_size(settings.AVATAR_MAX_BYTES)} and "
                                           f"{settings.IMAGE_MAX_PIXELS / 1e6:g} megapixels.")


class DeleteAccountForm(forms.Form):
    """Proof that the person means it: the password, or the e-mail address for accounts without one."""

    confirmation = forms.CharField(strip=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["confirmation"]
        if self.asks_for_password:
            field.label = "Your password"
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = "Type your e-mail address"
            field.help_text = f"Type {user.email} to confirm."
            field.widget = forms.EmailInput(attrs={"autocomplete": "off"})

    @property
    def asks_for_password(self):
        # Accounts made through Google sign-in have no password to type.
        return self.user.has_usable_password()

    def clean_confirmation(self):
        value = self.cleaned_data["confirmation"]
        if self.asks_for_password:
            if not self.user.check_password(value):
                raise forms.ValidationError("The password is incorrect.")
        elif normalize_email(value) != self.user.email:
            raise forms.ValidationError("That is not the e-mail address of this account.")
        return value


class ApiKeyForm(forms.Form):
    """A name for a new API key pair, so its owner knows later which script or app uses it."""

    name = forms.CharField(
        label="Name", max_length=ApiKey._meta.get_field("name").max_length,
        help_text="What will use it, e.g. \"upload script on the lab PC\".",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "upload script"}),
    )


class SignInForm(LoginForm):
    """allauth's sign-in form (ACCOUNT_FORMS["login"]), its words in the dashboard's sentence case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = "Remember me"
