"""The signed-in person's own account: profile with avatar photo, API key pairs, and deleting the account.

Sign-up, sign-in, passwords and e-mail are allauth's pages (templates/account/); these are the rest.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import avatars, selectors, services
from core.errors import Forbidden, Invalid, NotFound

from ..context_processors import google_sign_in_configured
from ..forms.accounts import ApiKeyForm, DeleteAccountForm, ProfileForm

# Set in the fresh session after deletion, so only the person who just deleted sees the farewell page.
DELETED_FLAG = "dashboard_account_deleted"


@login_required
def profile(request):
    user = request.user
    status = 200
    if request.method == "POST":
        try:
            # Refuse an oversized body before it is received and spooled to disk.
            avatars.check_request_size(int(request.META.get("CONTENT_LENGTH") or 0))
        except Invalid as exc:
            form = ProfileForm(data={"nickname": user.nickname, "notify_job_emails": user.notify_job_emails})
            form.is_valid()
            form.add_error("avatar", exc.message)
            status = 413
        else:
            form = ProfileForm(request.POST, request.FILES)
            if form.is_valid() and _save_profile(user, form):
                messages.success(request, "Your profile was saved.")
                return redirect("dashboard:profile")
    else:
        form = ProfileForm(initial={"nickname": user.nickname, "notify_job_emails": user.notify_job_emails})
    context = {"form": form, "avatar_max_bytes": settings.AVATAR_MAX_BYTES}
    return render(request, "dashboard/accounts/profile.html", context, status=status)


def _save_profile(user, form):
    """Saves the photo first, so a refused photo leaves the whole profile unchanged."""
    photo = form.cleaned_data["avatar"]
    if photo:
        try:
            avatars.set_avatar(user, photo)
        except Invalid as exc:
            form.add_error("avatar", exc.message)
            return False
    services.update_profile(user, nickname=form.cleaned_data["nickname"],
                            notify_job_emails=form.cleaned_data["notify_job_emails"])
    return True


@require_GET
@login_required
def avatar_thumbnail(request):
    """The signed-in person's own thumbnail, streamed through storage (local files and S3 alike)."""
    try:
        stored = avatars.open_avatar(request.user, thumbnail=True)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(stored, content_type="image/jpeg")
    # The address stays the same when the photo changes.
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
@login_required
def remove_avatar(request):
    """Removes the signed-in person's own photo (there is no other person's to name)."""
    if avatars.remove_avatar(request.user):
        messages.success(request, "Your avatar photo was removed.")
    return redirect("dashboard:profile")


@never_cache
@login_required
def api_keys(request):
    """The account's API key pairs (OAuth2 client id and secret, Face ID key and secret), and a new one.

    A new pair's secret is shown in the answer to the POST that made it and never again: it is not stored,
    so there is no redirect to a page that could show it.
    """
    user = request.user
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            api_key, secret = services.issue_api_key(user, name=form.cleaned_data["name"])
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            created = {"key": api_key, "secret": secret}
            form = ApiKeyForm()
    context = {
        "form": form, "created": created, "api_keys": selectors.api_keys_of(user),
        "may_issue": user.has_perm("accounts.issue_api_key"),
        "site_url": request.build_absolute_uri("/").rstrip("/"),
        "token_seconds": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        "token_minutes": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds() // 60),
    }
    return render(request, "dashboard/accounts/api_keys.html", context)


@require_POST
@login_required
def revoke_api_key(request, key):
    try:
        api_key = services.revoke_api_key(request.user, key)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"The key \"{api_key.name or api_key.key}\" was revoked: "
                              "the tokens it gave out stopped working.")
    return redirect("dashboard:api_keys")


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user)
        request.session[DELETED_FLAG] = True
        return redirect("dashboard:account_deleted")
    return render(request, "dashboard/accounts/delete.html", {"form": form})


@require_GET
def account_deleted(request):
    if not request.session.pop(DELETED_FLAG, False):
        return redirect("dashboard:home")
    return render(request, "dashboard/accounts/deleted.html")


def google_login(request):
    """allauth's "Sign in with Google", or a plain 404 page where no Google app is set up (allauth would
    answer a server error)."""
    if not google_sign_in_configured():
        raise Http404("Google sign-in is not set up on this Atlas.")
    from allauth.socialaccount.providers.google.views import oauth2_login

    return oauth2_login(request)
