import re

from django.core.exceptions import ValidationError


class PasswordComplexityValidator:
    """Seed 000's rule: upper and lower case letters, a digit and a special character."""

    rules = [
        (r"[A-Z]", "an upper-case letter"),
        (r"[a-z]", "a lower-case letter"),
        (r"[0-9]", "a digit"),
        (r"[^A-Za-z0-9]", "a special character such as ! or #"),
    ]

    def validate(self, password, user=None):
        missing = [name for pattern, name in self.rules if not re.search(pattern, password)]
        if missing:
            raise ValidationError(
                "The password must contain " + ", ".join(missing) + ".", code="password_too_simple"
            )

    def get_help_text(self):
        return "Your password must contain upper and lower case letters, a digit and a special character."
