"""The account pages of the dashboard: sign-up to sign-in through the mailed link, profile, deletion."""

import io
import os
import re
from email import message_from_bytes
from html import unescape
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from PIL import Image

from accounts.avatars import NOT_AN_IMAGE
from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.pictures import black_png

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sturdy-Lantern-42!"


@pytest.fixture
def mail_folder(settings):
    """Mail goes where `make run` puts it (var/mail/*.eml), not to Django's test outbox."""
    settings.EMAIL_BACKEND = "accounts.mail.FolderEmailBackend"
    return settings.MAIL_DIR


def mails_in(folder):
    return [message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def body_of(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def link_in(message, path_part):
    return next(url for url in re.findall(r"https?://\S+", body_of(message)) if path_part in url)


def local(url):
    """The path and query of an absolute link, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def png_bytes(size=(64, 48), colour=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def signed_in_client(client, user):
    client.force_login(user)
    return client


def field_block(page, field_id):
    """The HTML from a field's label to the next label: where its own error must appear."""
    start = page.index(f'<label for="{field_id}"')
    following = page.find("<label", start + 1)
    return page[start:following if following != -1 else None]


# --- sign-up, confirmation, sign-in ---------------------------------------------------------------

def test_sign_up_page_labels_every_control_inside_the_dashboard_layout(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/pico/pico.min.css" in page and "Create an account" in page
    for field_id in ("id_email", "id_password1", "id_password2"):
        assert f'<label for="{field_id}">' in page
        assert f'id="{field_id}"' in page
    assert "At least 10 characters" in page
    assert 'href="/accounts/login/"' in page


def test_sign_up_then_confirm_by_mailed_link_then_sign_in(client, mail_folder):
    response = client.post("/accounts/signup/", {
        "email": "Newcomer@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="newcomer@example.com")
    assert not user.email_verified
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session

    sent_page = client.get(response["Location"])
    assert sent_page.status_code == 200
    assert "Check your inbox" in sent_page.content.decode()

    [mail] = mails_in(mail_folder)
    assert mail["To"] == "newcomer@example.com"
    link = link_in(mail, "/atlas/auth/confirm-email")

    landed = client.get(local(unescape(link)), HTTP_ACCEPT="text/html")
    assert landed.status_code == 200
    page = landed.content.decode()
    assert "Your e-mail address is confirmed" in page
    assert 'href="/accounts/login/" role="button">Sign in</a>' in page
    assert "vendor/pico/pico.min.css" in page
    user.refresh_from_db()
    assert user.email_verified

    signed_in = client.post("/accounts/login/", {"login": "newcomer@example.com", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signing_in_before_confirming_sends_the_link_again_instead(client, mail_folder):
    client.post("/accounts/signup/", {
        "email": "early@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    response = client.post("/accounts/login/", {"login": "early@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_sign_up_errors_appear_next_to_their_field(client):
    response = client.post("/accounts/signup/", {
        "email": "not-an-address", "password1": "short", "password2": "different",
    })
    assert response.status_code == 200
    page = response.content.decode()
    email = field_block(page, "id_email")
    assert 'id="id_email_error"' in email and 'aria-invalid="true"' in email
    assert "valid email" in email
    password = field_block(page, "id_password1")
    assert 'id="id_password1_error"' in password and "at least 10 characters" in password
    assert not User.objects.exists()


def test_a_wrong_password_is_refused_with_the_error_on_the_form(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": "Not-The-Password-1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="form-error" role="alert"' in page
    assert "are not correct" in page
    assert page.index('class="form-error"') < page.index('<label for="id_login"')
    assert "_auth_user_id" not in client.session


def google_app(client_id="client.apps.googleusercontent.com", secret="s3cret"):
    return {"google": {"APPS": [{"client_id": client_id, "secret": secret, "key": ""}], "SCOPE": ["email"]}}


def test_sign_in_page_words_remember_me_in_sentence_case(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Remember me</label>" in page and "Remember Me" not in page


def test_sign_in_page_offers_google_only_when_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = google_app()
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Google" in page
    assert 'action="/accounts/google/login/?process=login"' in page
    assert '<label for="id_login">' in page and '<label for="id_password">' in page
    assert 'href="/accounts/password/reset/"' in page

    settings.SOCIALACCOUNT_PROVIDERS = google_app(secret="")  # the API doors' ids alone are not enough
    assert "Sign in with Google" not in client.get("/accounts/login/").content.decode()


def test_google_sign_in_without_a_google_app_is_a_clear_404(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    response = client.post("/accounts/google/login/?process=login")
    assert response.status_code == 404
    assert "This page is not here" in response.content.decode()


def test_google_sign_in_with_a_google_app_goes_to_google(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = google_app()
    response = client.post("/accounts/google/login/?process=login")
    assert response.status_code == 302
    assert response["Location"].startswith("https://accounts.google.com/o/oauth2/v2/auth?client_id=client.apps")


def test_sign_out_asks_first_and_signs_out_on_post(client, user):
    signed_in_client(client, user)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert '<form method="post" action="/accounts/logout/">' in page.content.decode()
    assert "_auth_user_id" in client.session
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_forgot_password_mails_a_link_that_sets_a_new_password(client, user, mail_folder):
    form = client.get("/accounts/password/reset/")
    assert form.status_code == 200 and '<label for="id_email">' in form.content.decode()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert "Check your inbox" in client.get(response["Location"]).content.decode()

    [mail] = mails_in(mail_folder)
    key_page = client.get(local(link_in(mail, "/accounts/password/reset/key/")), follow=True)
    assert key_page.status_code == 200
    page = key_page.content.decode()
    assert "Choose a new password" in page and '<label for="id_password1">' in page

    done = client.post(key_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
                       follow=True)
    assert "Password changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_used_reset_link_says_so(client, user):
    page = client.get("/accounts/password/reset/key/1-not-a-key/", follow=True).content.decode()
    assert "This link no longer works" in page


def test_change_password_checks_the_current_one_next_to_its_field(client, user):
    signed_in_client(client, user)
    page = client.get("/accounts/password/change/").content.decode()
    for field_id in ("id_oldpassword", "id_password1", "id_password2"):
        assert f'<label for="{field_id}">' in page
    wrong = client.post("/accounts/password/change/", {
        "oldpassword": "Wrong-Password-1!", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    }).content.decode()
    assert 'id="id_oldpassword_error"' in field_block(wrong, "id_oldpassword")
    client.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_failed_confirmation_link_explains_without_a_sign_in_promise(client):
    user = UserFactory(email_verified=False)
    response = client.get("/atlas/auth/confirm-email", {"email": user.email, "userId": str(user.public_id),
                                                        "key": "forged"}, HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 400
    assert "That did not work" in page and "invalid or has expired" in page
    assert 'role="button">Sign in</a>' not in page
    assert "vendor/pico/pico.min.css" in page


# --- profile ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/profile/", "/profile/delete/", "/profile/avatar.jpg", "/profile/keys/"])
def test_account_pages_send_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_profile_shows_the_email_and_labelled_controls(client, user):
    signed_in_client(client, user)
    response = client.get("/profile/")
    assert response.status_code == 200
    page = response.content.decode()
    assert user.email in page
    assert '<label for="id_nickname">' in page and '<label for="id_avatar">' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'href="/accounts/password/change/"' in page
    assert 'href="/profile/delete/"' in page
    assert "/profile/avatar.jpg" not in page  # no photo yet


def test_profile_saves_the_nickname_and_a_png_avatar(client, user):
    signed_in_client(client, user)
    response = client.post("/profile/", {
        "nickname": "Orbit Walker", "avatar": upload("me.png", png_bytes((640, 480)), "image/png"),
    })
    assert response.status_code == 302 and response["Location"] == "/profile/"
    user.refresh_from_db()
    assert user.nickname == "Orbit Walker"
    assert user.avatar and user.avatar_thumbnail

    page = client.get("/profile/").content.decode()
    assert "Your profile was saved." in page
    assert '<img class="avatar" src="/profile/avatar.jpg"' in page
    assert 'value="Orbit Walker"' in page

    thumbnail = client.get("/profile/avatar.jpg")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))) as image:
        assert image.format == "JPEG" and max(image.size) <= 256


def test_the_navigation_shows_the_avatar_and_the_profile_removes_it_with_its_files(client, user, other_user):
    signed_in_client(client, other_user)
    client.post("/profile/", {"nickname": "Other", "avatar": upload("o.png", png_bytes(), "image/png")})
    client.logout()
    signed_in_client(client, user)
    assert 'class="nav-avatar"' not in client.get("/captures/").content.decode()
    assert client.get("/profile/avatar/remove/").status_code == 405  # a POST only
    client.post("/profile/", {"nickname": "Me", "avatar": upload("me.png", png_bytes((640, 480)), "image/png")})
    user.refresh_from_db()
    storage, names = user.avatar.storage, [user.avatar.name, user.avatar_thumbnail.name]
    assert all(storage.exists(name) for name in names)
    page = client.get("/captures/").content.decode()
    assert '<img class="nav-avatar" src="/profile/avatar.jpg" alt="" width="24" height="24">Profile</a>' in page
    assert 'action="/profile/avatar/remove/"' in client.get("/profile/").content.decode()

    response = client.post("/profile/avatar/remove/")
    assert response.status_code == 302 and response["Location"] == "/profile/"
    user.refresh_from_db()
    assert not user.avatar and not user.avatar_thumbnail
    assert not any(storage.exists(name) for name in names)
    page = client.get("/profile/").content.decode()
    assert "Your avatar photo was removed." in page
    assert "/profile/avatar.jpg" not in page and 'action="/profile/avatar/remove/"' not in page
    assert client.get("/profile/avatar.jpg").status_code == 404
    # Another person's photo is untouched: the removal only ever reaches one's own.
    other_user.refresh_from_db()
    assert other_user.avatar and other_user.avatar.storage.exists(other_user.avatar.name)


def test_profile_refuses_a_nickname_with_a_line_break_next_to_the_field(client, user):
    signed_in_client(client, user)
    before = user.nickname
    response = client.post("/profile/", {"nickname": "Orbit\nWalker"})
    assert response.status_code == 200
    block = field_block(response.content.decode(), "id_nickname")
    assert ("The name contains a line break (U+000A) at character 6. Names must be one line of visible text: "
            "remove it and try again.") in block
    user.refresh_from_db()
    assert user.nickname == before


def test_profile_refuses_a_file_that_is_not_an_image_next_to_the_field(client, user):
    signed_in_client(client, user)
    before = user.nickname
    response = client.post("/profile/", {
        "nickname": "Changed", "avatar": upload("photo.png", b"%PDF-1.4 not a picture", "image/png"),
    })
    assert response.status_code == 200
    page = response.content.decode()
    block = field_block(page, "id_avatar")
    assert 'id="id_avatar_error"' in block and NOT_AN_IMAGE in block
    user.refresh_from_db()
    assert user.nickname == before and not user.avatar


def test_profile_refuses_a_huge_picture_in_a_small_file_naming_the_pixel_limit(client, user, settings):
    settings.IMAGE_MAX_PIXELS = 40_000_000
    signed_in_client(client, user)
    page = client.get("/profile/").content.decode()
    assert "A JPEG or PNG photo, up to 10 MB and 40 megapixels." in page

    response = client.post("/profile/", {"nickname": "x", "avatar": upload("huge.png", black_png(9400, 9400),
                                                                         "image/png")})
    assert response.status_code == 200
    block = unescape(field_block(response.content.decode(), "id_avatar"))
    assert ("The image is 9400×9400 (88 megapixels); the limit is 40 megapixels. Resize it and try again."
            in block)
    user.refresh_from_db()
    assert not user.avatar


def test_profile_refuses_an_oversized_upload_before_reading_it(client, user, settings):
    settings.AVATAR_MAX_BYTES = 1024
    signed_in_client(client, user)
    response = client.post("/profile/", {"nickname": "x", "avatar": upload("big.png", png_bytes((600, 600),
                                                                                             (1, 2, 3)) * 40,
                                                                         "image/png")})
    assert response.status_code == 413
    assert "larger than 1 KB" in field_block(response.content.decode(), "id_avatar")
    user.refresh_from_db()
    assert not user.avatar


def test_nobody_sees_another_persons_profile_or_avatar(client, user, other_user):
    other_user.nickname = "Someone Else"
    other_user.save()
    signed_in_client(client, other_user)
    client.post("/profile/", {"nickname": "Someone Else", "avatar": upload("o.png", png_bytes(), "image/png")})
    client.logout()

    signed_in_client(client, user)
    page = client.get("/profile/").content.decode()
    assert user.email in page
    assert other_user.email not in page and "Someone Else" not in page
    # Only one's own thumbnail is served, and this user has none.
    assert client.get("/profile/avatar.jpg").status_code == 404


# --- deleting the account ---------------------------------------------------------------------------

def test_deleting_the_account_needs_the_password(client, user):
    signed_in_client(client, user)
    page = client.get("/profile/delete/").content.decode()
    assert '<label for="id_confirmation">Your password</label>' in page

    for attempt in ("", "Not-My-Password-1!"):
        response = client.post("/profile/delete/", {"confirmation": attempt})
        assert response.status_code == 200
        assert 'id="id_confirmation_error"' in field_block(response.content.decode(), "id_confirmation")
    assert User.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" in client.session


def test_deleting_the_account_removes_it_and_signs_out(client, user, other_user):
    signed_in_client(client, user)
    client.post("/profile/", {"nickname": "Going", "avatar": upload("me.png", png_bytes(), "image/png")})
    user.refresh_from_db()
    avatar_path = user.avatar.path

    response = client.post("/profile/delete/", {"confirmation": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/profile/deleted/"
    assert not User.objects.filter(pk=user.pk).exists()
    assert User.objects.filter(pk=other_user.pk).exists()
    assert "_auth_user_id" not in client.session
    assert not os.path.exists(avatar_path)

    done = client.get("/profile/deleted/")
    assert done.status_code == 200 and "Your account is deleted" in done.content.decode()
    # The farewell is shown once, and only to the person who just deleted.
    assert client.get("/profile/deleted/").status_code == 302
    assert client.get("/profile/").status_code == 302


def test_an_account_without_a_password_confirms_deletion_with_its_email(client):
    user = UserFactory(email="google-person@example.com")
    user.set_unusable_password()
    user.save()
    signed_in_client(client, user)
    page = client.get("/profile/delete/").content.decode()
    assert "Type your e-mail address" in page
    assert 'id="id_confirmation_error"' in client.post("/profile/delete/", {"confirmation": "x@example.com"}
                                                       ).content.decode()
    assert client.post("/profile/delete/", {"confirmation": "Google-Person@example.com"}).status_code == 302
    assert not User.objects.filter(email="google-person@example.com").exists()


def test_a_new_password_in_the_browser_ends_the_api_sessions(client, user, api):
    from accounts.models import Session

    token = api.post("/atlas/auth/sign-in", {"email": user.email, "password": PASSWORD}, format="json")
    assert token.status_code == 201
    signed_in_client(client, user)
    response = client.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": "An0ther-Secret!", "password2": "An0ther-Secret!"})
    assert response.status_code == 302
    assert not Session.objects.active().filter(user=user).exists()
    me = api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {token.json()['accessToken']}")
    assert me.status_code == 401


def test_an_added_address_is_confirmed_from_its_mail(client, user, mailoutbox):
    from allauth.account.models import EmailAddress

    signed_in_client(client, user)
    response = client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})
    assert response.status_code == 302
    link = re.search(r"http://\S+/atlas/auth/confirm-email\?\S+", mailoutbox[-1].body).group(0)
    assert "second%40example.com" in link
    assert client.get(link.replace("http://testserver", "")).status_code == 200
    assert EmailAddress.objects.get(email="second@example.com").verified


# --- API keys ---------------------------------------------------------------------------------------

def new_key(client, name="Upload script"):
    """Makes a key pair on the page; the client id and secret as the page shows them once."""
    response = client.post("/profile/keys/", {"name": name})
    assert response.status_code == 200
    page = response.content.decode()
    client_id = unescape(re.search(r'id="new-client-id" value="([^"]+)"', page).group(1))
    secret = unescape(re.search(r'id="new-client-secret" value="([^"]+)"', page).group(1))
    return page, client_id, secret


def test_api_keys_page_explains_and_offers_a_labelled_form(client, user):
    signed_in_client(client, user)
    response = client.get("/profile/keys/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "vendor/pico/pico.min.css" in page
    assert '<a href="/profile/keys/" aria-current="page">API keys</a>' in page
    assert "You have no API keys yet." in page
    assert '<label for="id_name">Name</label>' in page
    assert "curl -X POST http://testserver/oauth2/token" in page
    assert "-d client_id=CLIENT_ID" in page and "-d client_secret=CLIENT_SECRET" in page
    assert 'curl http://testserver/api/v1/captures -H "Authorization: Bearer ACCESS_TOKEN"' in page
    assert "js/copy.js" in page
    # The other account pages lead here.
    assert 'href="/profile/keys/"' in client.get("/profile/").content.decode()


def test_a_new_key_shows_its_secret_once_with_copy_buttons(client, user):
    from accounts.models import ApiKey

    signed_in_client(client, user)
    page, client_id, secret = new_key(client, "3DStreet upload")
    assert "Copy the secret now: it is shown only this once." in page
    assert 'data-copy="#new-client-id"' in page and 'data-copy="#new-client-secret"' in page
    assert f"-d client_id={client_id}" in page and f"-d client_secret={secret}" in page
    api_key = ApiKey.objects.get(key=client_id)
    assert (api_key.user, api_key.name) == (user, "3DStreet upload")
    assert secret not in api_key.secret_hash and api_key.check_secret(secret)

    page = client.get("/profile/keys/").content.decode()
    assert secret not in page
    assert f'<tr id="key-{client_id}">' in page and "3DStreet upload" in page
    row = page[page.index(f'<tr id="key-{client_id}">'):]
    row = row[:row.index("</tr>")]
    assert ">never<" in row and f'action="/profile/keys/{client_id}/revoke/"' in row


def test_the_list_shows_when_a_key_was_last_used_and_keys_from_the_face_id_door(client, api, user):
    signed_in_client(client, user)
    _, client_id, secret = new_key(client)
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert api.post("/oauth2/token", body, format="json").status_code == 200
    face_id = api.post("/api/v1/auth/key", {"username": user.email, "password": PASSWORD}, format="json").json()

    page = client.get("/profile/keys/").content.decode()
    row = page[page.index(f'<tr id="key-{client_id}">'):]
    assert "0\xa0minutes ago" in row[:row.index("</tr>")]
    assert f'<tr id="key-{face_id["key"]}">' in page and "<strong>Face ID API</strong>" in page


def test_revoking_a_key_stops_its_tokens(client, api, user):
    from accounts.models import ApiKey

    signed_in_client(client, user)
    _, client_id, secret = new_key(client)
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = api.post("/oauth2/token", body, format="json").json()["access_token"]

    response = client.post(f"/profile/keys/{client_id}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/profile/keys/"
    page = client.get("/profile/keys/").content.decode()
    assert 'The key "Upload script" was revoked: the tokens it gave out stopped working.' in unescape(page)
    assert client_id not in page
    assert ApiKey.objects.get(key=client_id).revoked_at is not None
    assert api.get("/api/v1/captures", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert api.post("/oauth2/token", body, format="json").json()["error"] == "invalid_client"
    # Revoking it again, or by a GET, does nothing.
    assert client.post(f"/profile/keys/{client_id}/revoke/").status_code == 404
    assert client.get(f"/profile/keys/{client_id}/revoke/").status_code == 405


def test_nobody_revokes_another_persons_key(client, user, other_user):
    from accounts import services

    api_key, _ = services.issue_api_key(other_user)
    signed_in_client(client, user)
    assert client.post(f"/profile/keys/{api_key.key}/revoke/").status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert str(api_key.key) not in client.get("/profile/keys/").content.decode()


def test_a_key_needs_a_name_shown_next_to_its_field(client, user):
    signed_in_client(client, user)
    response = client.post("/profile/keys/", {"name": "  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="new-client-secret"' not in page
    assert "This field is required." in field_block(page, "id_name")


def test_a_role_that_may_not_issue_keys_gets_no_form(client, user):
    from roles.models import Role

    user.role = Role.objects.get(name="GUEST")
    user.save()
    signed_in_client(client, user)
    page = client.get("/profile/keys/").content.decode()
    assert "Your role may not create API keys. Ask an administrator for a role that may." in page
    assert '<label for="id_name">' not in page
    page = client.post("/profile/keys/", {"name": "sneaky"}).content.decode()
    assert 'id="new-client-secret"' not in page
    assert user.api_keys.count() == 0
