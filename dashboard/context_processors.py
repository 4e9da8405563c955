from django.conf import settings


def dashboard(request):
    """What every page's layout needs: the product name and whether Google sign-in is offered."""
    return {
        "site_name": "Atlas",
        "google_sign_in": bool(settings.GOOGLE_CLIENT_IDS),
    }
