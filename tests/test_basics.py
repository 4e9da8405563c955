"""The house itself: health, routes, version, the OpenAPI schema and the admin."""

import inspect
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS

from doors.base import AtlasView, CapturesView, DoorView, FaceIdView, ScenesView, StudioView
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


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    GENERATOR_STATS.reset()  # warnings are counted per process; count this run's only
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


DOORS = {"atlas", "scenes", "faceid", "studio", "captures"}


def test_every_operation_has_a_one_line_summary_and_one_declared_door_tag(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    declared = [tag["name"] for tag in schema["tags"]]
    assert {tag.split(":")[0] for tag in declared} == DOORS
    # A view without a docstring of its own must not be described by its door's base class.
    base_docs = {inspect.getdoc(cls) for cls in (DoorView, AtlasView, ScenesView, FaceIdView, StudioView, CapturesView)}
    used = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary") and "\n" not in operation["summary"], where
            assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, where
            assert operation.get("description") not in base_docs, where
            used.update(operation["tags"])
    assert used == set(declared)
    assert schema["paths"]["/health"]["get"]["summary"] == "Health check"
    assert schema["paths"]["/routes"]["get"]["summary"] == "List the routes"


def test_swagger_ui_loads_only_files_served_here(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SwaggerUIBundle(" in html
    assert not re.search(r"https?://|\"//", html), "the docs page must work without internet"
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) == 4  # favicon, CSS, the bundle and its preset
    for url in urls:
        assert url.startswith(settings.STATIC_URL), url
        found = finders.find(url.removeprefix(settings.STATIC_URL))
        assert found and Path(found).stat().st_size > 0, url


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


def test_the_admin_index_names_each_app_once_and_names_its_icon(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:index")).content.decode()
    headings = re.findall(r'<caption>\s*<a [^>]*>([^<]+)</a>', html)
    assert headings and len(headings) == len(set(headings)), headings
    assert sum(heading.startswith("Accounts") for heading in headings) == 2  # allauth's and Atlas's own
    assert 'rel="icon"' in html


def test_favicon_ico_leads_to_an_icon_that_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == f"{settings.STATIC_URL}favicon.svg"
    assert finders.find("favicon.svg")
