"""Seed 000 §2, §5, §6: the atlas door's accounts, roles and version, walked as a client would."""

import ipaddress
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Session, User
from roles.models import Group, Invitation, Membership, Role
from roles.services import invite
from tests.conftest import bearer
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Atlas-Password-1!"


def sign_up(api, email="new@example.com", password=GOOD_PASSWORD, nickname="newbie"):
    return api.post("/atlas/auth/sign-up", {"email": email, "password": password, "nickname": nickname},
                    format="json")


def sign_in(api, email, password=PASSWORD, **headers):
    return api.post("/atlas/auth/sign-In", {"id": email, "password": password}, format="json", **headers)


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


def confirm_from_mail(api):
    url = urlparse(link_in(mail.outbox[-1]))
    return api.get(f"{url.path}?{url.query}")


class TestSignUpAndConfirm:
    def test_sign_up_confirm_and_sign_in(self, api):
        response = sign_up(api)
        assert response.status_code == 201
        assert response.json() == {
            "message": "Account created. Open the link we sent to new@example.com to confirm it."}
        user = User.objects.get(email="new@example.com")
        assert user.nickname == "newbie" and not user.email_verified
        assert mail.outbox[-1].to == ["new@example.com"]

        assert sign_in(api, "new@example.com", GOOD_PASSWORD).status_code == 403

        link = urlparse(link_in(mail.outbox[-1]))
        assert link.path == "/atlas/auth/confirm-email"
        query = parse_qs(link.query)
        assert query["email"] == ["new@example.com"] and query["userId"] == [str(user.public_id)]
        assert confirm_from_mail(api).status_code == 200
        user.refresh_from_db()
        assert user.email_verified

        response = sign_in(api, "new@example.com", GOOD_PASSWORD)
        assert response.status_code == 201
        assert set(response.json()) == {"accessToken", "refreshToken"}

    def test_the_confirmation_link_opened_in_a_browser_shows_a_page(self, api):
        sign_up(api)
        url = urlparse(link_in(mail.outbox[-1]))
        response = api.get(f"{url.path}?{url.query}", HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert b"confirmed" in response.content and response["Content-Type"].startswith("text/html")

    def test_duplicate_email_is_409_whatever_its_case(self, api, user):
        response = sign_up(api, email=user.email.upper())
        assert response.status_code == 409
        assert set(response.json()) == {"message"}

    @pytest.mark.parametrize("password, missing", [
        ("Short-1!", "at least 10"),
        ("lowercase-only-1!", "upper-case"),
        ("UPPERCASE-ONLY-1!", "lower-case"),
        ("No-Digits-Here!", "digit"),
        ("NoSpecial12345", "special"),
    ])
    def test_weak_passwords_are_400_with_the_rule_they_break(self, api, password, missing):
        response = sign_up(api, password=password)
        assert response.status_code == 400
        assert missing in response.json()["message"]
        assert not User.objects.filter(email="new@example.com").exists()

    @pytest.mark.parametrize("body, message", [
        ({}, "email: This field is required. password: This field is required. nickname: This field is required."),
        ({"email": "not-an-address", "password": GOOD_PASSWORD, "nickname": "x"},
         "email: Enter a valid email address."),
        ({"email": "a@example.com", "password": GOOD_PASSWORD}, "nickname: This field is required."),
        ({"email": ["a@example.com"], "password": GOOD_PASSWORD, "nickname": "x"},
         "email: Enter a valid email address."),
        ({"email": "a@example.com", "password": 12345678901, "nickname": "x"},
         "The password must contain an upper-case letter, a lower-case letter, a special character such as ! or #. "
         "This password is too common."),
    ])
    def test_malformed_sign_up_is_400(self, api, body, message):
        response = api.post("/atlas/auth/sign-up", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"message": message}

    def test_a_nickname_with_a_line_break_is_400(self, api):
        response = sign_up(api, nickname="new\nbie")
        assert response.status_code == 400
        assert response.json() == {"message": "nickname: The name contains a line break (U+000A) at character 4. "
                                              "Names must be one line of visible text: remove it and try again."}
        assert not User.objects.filter(email="new@example.com").exists()

    def test_a_body_that_is_not_an_object_is_400(self, api):
        response = api.post("/atlas/auth/sign-up", "[1, 2]", content_type="application/json")
        assert response.status_code == 400
        response = api.post("/atlas/auth/sign-up", "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"message": "JSON parse error - Expecting property name enclosed in double quotes: "
                                              "line 1 column 2 (char 1)"}

    def test_an_oversized_body_is_400(self, api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        response = api.post("/atlas/auth/sign-up", {"email": "a@example.com", "password": "x" * 5000,
                                                    "nickname": "x"}, format="json")
        assert response.status_code == 400
        assert "larger than" in response.json()["message"]

    def test_mail_failure_is_500_and_leaves_no_account(self, api, settings):
        settings.EMAIL_BACKEND = "tests.doors.test_atlas.BrokenMailBackend"
        response = sign_up(api)
        assert response.status_code == 500
        assert response.json() == {"message": "Unexpected server error. It has been logged."}
        assert not User.objects.filter(email="new@example.com").exists()

    def test_resend_sends_a_new_link(self, api):
        sign_up(api)
        response = api.post("/atlas/auth/confirmation-emails/resend", {"email": "new@example.com"}, format="json")
        assert response.status_code == 201
        assert len(mail.outbox) == 2
        assert confirm_from_mail(api).status_code == 200

    def test_resend_to_unknown_address_is_404(self, api):
        response = api.post("/atlas/auth/confirmation-emails/resend", {"email": "ghost@example.com"},
                            format="json")
        assert response.status_code == 404 and set(response.json()) == {"message"}

    def test_confirm_with_a_wrong_key_or_user_is_400(self, api, other_user):
        sign_up(api)
        user = User.objects.get(email="new@example.com")
        base = "/atlas/auth/confirm-email"
        assert api.get(base, {"email": user.email, "userId": str(user.public_id), "key": "forged"}).status_code == 400
        good_key = parse_qs(urlparse(link_in(mail.outbox[-1])).query)["key"][0]
        wrong_user = {"email": user.email, "userId": str(other_user.public_id), "key": good_key}
        assert api.get(base, wrong_user).status_code == 400
        assert api.get(base, {"email": user.email}).status_code == 400
        user.refresh_from_db()
        assert not user.email_verified


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server is down")


class TestSignIn:
    def test_wrong_password_and_unknown_email_are_the_same_401(self, api, user):
        wrong = sign_in(api, user.email, "Wrong-Password-1!")
        unknown = sign_in(api, "ghost@example.com")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()

    def test_tokens_carry_the_session_and_expire_as_the_seed_says(self, api, user):
        body = sign_in(api, user.email).json()
        access = jwt.decode(body["accessToken"], options={"verify_signature": False})
        refresh = jwt.decode(body["refreshToken"], options={"verify_signature": False})
        assert access["sid"] == refresh["sid"]
        assert Session.objects.get(pk=access["sid"]).user == user
        assert access["exp"] - access["iat"] == 3600
        assert refresh["exp"] - refresh["iat"] == pytest.approx(14 * 24 * 3600, abs=5)

    def test_the_address_may_come_as_email_and_the_path_in_lower_case(self, api, user):
        response = api.post("/atlas/auth/sign-in", {"email": user.email, "password": PASSWORD}, format="json")
        assert response.status_code == 201

    def test_google_accounts_are_told_to_use_google(self, api, user):
        user.set_unusable_password()
        user.save()
        user.socialaccount_set.create(provider="google", uid="123")
        assert sign_in(api, user.email).status_code == 409

    def test_missing_fields_are_400(self, api):
        assert api.post("/atlas/auth/sign-In", {"id": "a@example.com"}, format="json").status_code == 400

    def test_sign_in_is_throttled_per_address(self, api, user, settings):
        settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
        for _ in range(3):
            assert sign_in(api, user.email, "Wrong-Password-1!").status_code == 401
        response = sign_in(api, user.email)
        assert response.status_code == 429
        assert "Try again" in response.json()["message"] and "Retry-After" in response
        # Another address from the same client is still let through.
        assert sign_in(api, "ghost@example.com").status_code == 401

    def test_sign_in_is_throttled_per_client_address(self, api, settings):
        settings.THROTTLE_RATES = {"address": "100/min", "ip": "2/min"}
        assert sign_in(api, "a@example.com").status_code == 401
        assert sign_in(api, "b@example.com").status_code == 401
        assert sign_in(api, "c@example.com").status_code == 429

    def test_a_new_x_forwarded_for_on_each_attempt_is_still_the_same_client(self, api, user, settings):
        settings.THROTTLE_RATES = {"address": "100/min", "ip": "3/min"}
        for n in range(3):
            assert sign_in(api, f"guess{n}@example.com", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 401
        assert sign_in(api, "guess9@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
        assert sign_in(api, user.email, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 429
        # Nor does the header name the address a session records.
        settings.THROTTLE_RATES = {"address": "100/min", "ip": "100/min"}
        assert sign_in(api, user.email, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 201
        assert Session.objects.get(user=user).ip_address == "127.0.0.1"

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(self, api, user, settings):
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
        settings.THROTTLE_RATES = {"address": "100/min", "ip": "2/min"}
        via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
        for _ in range(2):
            assert sign_in(api, "a@example.com", HTTP_X_FORWARDED_FOR="203.0.113.5", **via_proxy).status_code == 401
        # What the client wrote before the proxy added its address does not make it someone else.
        spoofed = "198.51.100.1, 203.0.113.5"
        assert sign_in(api, "b@example.com", HTTP_X_FORWARDED_FOR=spoofed, **via_proxy).status_code == 429
        assert sign_in(api, "c@example.com", HTTP_X_FORWARDED_FOR="203.0.113.6", **via_proxy).status_code == 401
        settings.THROTTLE_RATES = {"address": "100/min", "ip": "100/min"}
        assert sign_in(api, user.email, HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy).status_code == 201
        assert Session.objects.get(user=user).ip_address == "203.0.113.7"


class TestSessions:
    def test_me(self, api, user, auth):
        response = api.get("/atlas/me", **auth)
        assert response.status_code == 200
        assert response.json() == {"nickname": user.nickname, "email": user.email}

    @pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.token", "Basic abc"])
    def test_me_without_a_valid_token_is_401(self, api, header):
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = api.get("/atlas/me", **extra)
        assert response.status_code == 401
        assert set(response.json()) == {"message"}

    def test_sign_out_ends_both_tokens_at_once(self, api, user):
        tokens = sign_in(api, user.email).json()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['accessToken']}"}
        assert api.post("/atlas/auth/sign-out", **headers).status_code == 200
        assert api.get("/atlas/me", **headers).status_code == 401
        refresh = api.post("/atlas/refresh/accessToken", HTTP_AUTHORIZATION=f"Bearer {tokens['refreshToken']}")
        assert refresh.status_code == 401

    def test_sign_out_without_token_is_401(self, api):
        assert api.post("/atlas/auth/sign-out").status_code == 401

    def test_refresh_gives_a_new_access_token_for_the_same_session(self, api, user):
        tokens = sign_in(api, user.email).json()
        response = api.post("/atlas/refresh/accessToken", HTTP_AUTHORIZATION=f"Bearer {tokens['refreshToken']}")
        assert response.status_code == 200
        access = response.json()["accessToken"]
        assert api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
        claims = jwt.decode(access, options={"verify_signature": False})
        assert claims["sid"] == jwt.decode(tokens["accessToken"], options={"verify_signature": False})["sid"]

    def test_refresh_refuses_an_access_token_garbage_and_expired_sessions(self, api, user):
        tokens = sign_in(api, user.email).json()
        for header, message in [
            ("", "Send the refresh token as Authorization: Bearer <refreshToken>."),
            ("Bearer junk", "The refresh token is not valid: Token is invalid. Sign in again."),
            (f"Bearer {tokens['accessToken']}", "The refresh token is not valid: Token has wrong type. Sign in again."),
        ]:
            response = api.post("/atlas/refresh/accessToken", HTTP_AUTHORIZATION=header)
            assert response.status_code == 401 and response.json() == {"message": message}
        Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        response = api.post("/atlas/refresh/accessToken", HTTP_AUTHORIZATION=f"Bearer {tokens['refreshToken']}")
        assert response.status_code == 401

    def test_an_access_token_is_not_accepted_as_refresh_and_vice_versa(self, api, user):
        tokens = sign_in(api, user.email).json()
        assert api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {tokens['refreshToken']}").status_code == 401


class TestPassword:
    def test_change_ends_other_sessions_but_keeps_this_one(self, api, user):
        mine = bearer(user)
        other = bearer(user)
        for method in (api.patch, api.post):
            response = method("/atlas/auth/password", {"password": "Brand-New-Pass-2?"}, format="json", **mine)
            assert response.status_code == 200
        assert api.get("/atlas/me", **mine).status_code == 200
        assert api.get("/atlas/me", **other).status_code == 401
        assert sign_in(api, user.email, "Brand-New-Pass-2?").status_code == 201
        assert sign_in(api, user.email, PASSWORD).status_code == 401

    def test_weak_or_missing_password_is_400(self, api, auth):
        assert api.patch("/atlas/auth/password", {"password": "weak"}, format="json", **auth).status_code == 400
        assert api.patch("/atlas/auth/password", {}, format="json", **auth).status_code == 400

    def test_change_needs_a_token(self, api):
        assert api.patch("/atlas/auth/password", {"password": GOOD_PASSWORD}, format="json").status_code == 401

    def test_reset_mails_a_link_that_sets_a_new_password(self, api, user, client):
        response = api.post("/atlas/auth/reset-password", {"email": user.email}, format="json")
        assert response.status_code == 201
        assert mail.outbox[-1].to == [user.email]
        url = urlparse(link_in(mail.outbox[-1]))
        # allauth's page: follow to the form, post the new password.
        page = client.get(url.path, follow=True)
        assert page.status_code == 200
        form_url = page.redirect_chain[-1][0] if page.redirect_chain else url.path
        done = client.post(form_url, {"password1": "Reset-Pass-3#x", "password2": "Reset-Pass-3#x"})
        assert done.status_code == 302
        assert sign_in(api, user.email, "Reset-Pass-3#x").status_code == 201

    def test_reset_for_unknown_address_is_404(self, api):
        response = api.post("/atlas/auth/reset-password", {"email": "ghost@example.com"}, format="json")
        assert response.status_code == 404 and set(response.json()) == {"message"}
        assert mail.outbox == []


class TestDeleteAccount:
    def test_delete_removes_the_account_and_refuses_its_tokens(self, api, user, auth):
        assert api.delete("/atlas/auth/user", **auth).status_code == 200
        assert not User.objects.filter(pk=user.pk).exists()
        assert api.get("/atlas/me", **auth).status_code == 401
        assert sign_in(api, user.email).status_code == 401

    def test_delete_needs_a_token(self, api):
        assert api.delete("/atlas/auth/user").status_code == 401


class TestInvitations:
    def test_confirming_an_invitation_joins_the_group(self, api, user):
        group = Group.objects.create(name="Seoul National University")
        invite(None, group, user.email)
        query = parse_qs(urlparse(link_in(mail.outbox[-1])).query)
        assert query["groupId"] == [str(group.pk)]
        response = api.get("/atlas/auth/confirm-invite-email", {k: v[0] for k, v in query.items()})
        assert response.status_code == 200
        assert response.json() == {"email": user.email}
        assert Membership.objects.filter(user=user, group=group).exists()
        # A link works once.
        again = api.get("/atlas/auth/confirm-invite-email", {k: v[0] for k, v in query.items()})
        assert again.status_code == 401

    def test_wrong_token_other_user_or_malformed_link_is_401(self, api, user, other_user):
        group = Group.objects.create(name="Studio")
        invite(None, group, user.email)
        query = {k: v[0] for k, v in parse_qs(urlparse(link_in(mail.outbox[-1])).query).items()}
        for bad in [{**query, "token": "forged"}, {**query, "userId": str(other_user.public_id)},
                    {**query, "groupId": "not-a-uuid"}, {"email": user.email}]:
            response = api.get("/atlas/auth/confirm-invite-email", bad)
            assert response.status_code == 401 and set(response.json()) == {"message"}
        assert not Membership.objects.exists()

    def test_invitation_to_an_address_without_account_follows_its_confirmation(self, api):
        group = Group.objects.create(name="Lab")
        invite(None, group, "later@example.com")
        assert "Create your Atlas account" in mail.outbox[-1].body
        sign_up(api, email="later@example.com")
        confirm_mail = mail.outbox[-1]
        url = urlparse(link_in(confirm_mail))
        api.get(f"{url.path}?{url.query}")
        invitation_mail = mail.outbox[-1]
        assert "confirm-invite-email" in invitation_mail.body
        query = {k: v[0] for k, v in parse_qs(urlparse(link_in(invitation_mail)).query).items()}
        assert api.get("/atlas/auth/confirm-invite-email", query).status_code == 200
        assert Invitation.objects.get().accepted_at is not None


class TestRolesAndVersion:
    def test_roles_list_the_default_tree_with_201(self, api):
        response = api.get("/atlas/role")
        assert response.status_code == 201
        roles = {r["name"]: r for r in response.json()}
        assert {"SUPER_ADMIN", "ADMIN", "USER", "GUEST"} <= set(roles)
        assert set(roles["USER"]) == {"id", "name", "description", "parentId", "createdAt", "updatedAt"}
        assert roles["USER"]["parentId"] == roles["ADMIN"]["id"]

    def test_a_parent_role_holds_its_childrens_permissions(self):
        admin = UserFactory(role=Role.objects.get(name="ADMIN"))
        guest = UserFactory(role=Role.objects.get(name="GUEST"))
        plain = UserFactory()
        assert plain.role.name == "USER"
        assert admin.has_perm("accounts.issue_api_key") and admin.has_perm("roles.invite_members")
        assert plain.has_perm("accounts.issue_api_key") and not plain.has_perm("roles.invite_members")
        assert not guest.has_perm("accounts.issue_api_key")

    def test_version(self, api, settings):
        response = api.get("/atlas/version")
        assert response.status_code == 200
        assert response.json() == settings.VERSION
