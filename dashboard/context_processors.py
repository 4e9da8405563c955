from django.conf import settings


def google_sign_in_configured():
    """allauth's web sign-in needs a Google app (client id and secret), not only the ids the API doors accept."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("google", {}).get("APPS", [])
    return any(app.get("client_id") and app.get("secret") for app in apps)


def dashboard(request):
    """What every page's layout needs: the product name and whether Google sign-in is offered."""
    return {
        "site_name": "Atlas",
        "google_sign_in": google_sign_in_configured(),
    }
