"""The house itself: health, routes, version, the OpenAPI schema and the admin."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_health_says_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content == b"OK"


def test_routes_list_every_door_with_methods(api):
    response = api.get("/routes")
    assert response.status_code == 200
    routes = {r["path"]: r["methods"] for r in response.json()}
    assert routes["/atlas/auth/sign-up"] == ["POST"]
    assert routes["/atlas/auth/password"] == ["PATCH", "POST"]
    assert routes["/atlas/me"] == ["GET"]
    assert routes["/health"] == ["GET"]
    for path in ["/user/account/login", "/api/v1/auth/key", "/api/v1/auth/token", "/register", "/login"]:
        assert path in routes, path


def test_openapi_schema_describes_every_door_and_the_token_schemes(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ["/atlas/auth/sign-In", "/atlas/role", "/user/account/login", "/api/v1/auth/token",
                 "/login", "/get_user_info"]:
        assert path in schema["paths"], path
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["ApiToken"]["in"] == "header" and schemes["ApiToken"]["name"] == "X-API-Token"
    assert "cookieAuth" in schemes


def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.parametrize("model", [m for m in apps.get_models() if m in admin.site._registry],
                         ids=lambda m: m._meta.label)
def test_admin_lists_every_model_with_search_and_filters(client, model):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    model_admin = admin.site._registry[model]
    if model._meta.app_label in {"accounts", "roles"}:
        assert model_admin.search_fields and model_admin.list_filter, model
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "x"}).status_code == 200


def test_every_atlas_model_is_in_the_admin():
    for app_label in ["accounts", "roles"]:
        for model in apps.get_app_config(app_label).get_models():
            assert model in admin.site._registry, model
