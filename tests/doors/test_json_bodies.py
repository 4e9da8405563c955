"""Hostile JSON bodies at every door: one parser (core.parsers.JSONParser) answers them in the door's shape."""

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db

TOO_DEEP = "JSON parse error - the body is nested more than 32 levels deep."
NOT_A_LENGTH = "The Content-Length header must be the body's size in bytes."

# (door, path, headers needed, status, body) for a body nested too deeply.
DOORS = [
    ("atlas", "/atlas/auth/sign-In", False, 400, {"message": TOO_DEEP}),
    ("scenes", "/user/account/login", False, 400, {"status": 400, "error": 1, "message": TOO_DEEP}),
    ("faceid", "/api/v1/auth/key", False, 400, {"code": 400, "message": TOO_DEEP}),
    ("studio", "/register", False, 400, {"message": TOO_DEEP}),
    ("studio", "/update_user_details", True, 400, {"message": TOO_DEEP}),
    ("captures", "/api/v1/captures", True, 422, {"detail": [{"loc": ["body"], "msg": TOO_DEEP,
                                                              "type": "json_invalid"}]}),
]


def nested(depth, leaf="1"):
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("door, path, signed_in, status, body", DOORS, ids=[f"{d[0]} {d[1]}" for d in DOORS])
@pytest.mark.parametrize("text", [
    nested(100_000),  # deeper than Python's recursion limit: was a RecursionError, a 500
    '{"email": ' + nested(500) + "}",  # within it, but no request of any seed nests like this
    '{"body_dimensions": [' + "{\"key\": " * 40 + "1" + "}" * 40 + "]}",
])
def test_a_body_nested_too_deeply_is_refused_in_the_doors_shape(api, user, door, path, signed_in, status, body,
                                                                 text):
    headers = bearer(user, door=door) if signed_in else {}
    response = api.post(path, text, content_type="application/json", **headers)
    assert response.status_code == status
    assert response.json() == body


def test_a_body_as_deep_as_the_bound_is_parsed(api, user):
    response = api.post("/update_user_details", '{"body_dimensions": ' + nested(31, '"x"') + "}",
                        content_type="application/json", **bearer(user, door="studio"))
    assert response.status_code == 200
    user.details.refresh_from_db()
    value = user.details.body_dimensions
    for _ in range(31):
        value = value[0]
    assert value == "x"


@pytest.mark.parametrize("door, path, signed_in, body", [
    ("atlas", "/atlas/auth/sign-In", False, {"message": NOT_A_LENGTH}),
    ("scenes", "/user/account/login", False, {"status": 400, "error": 1, "message": NOT_A_LENGTH}),
    ("faceid", "/api/v1/auth/key", False, {"code": 400, "message": NOT_A_LENGTH}),
    ("studio", "/register", False, {"message": NOT_A_LENGTH}),
    ("captures", "/api/v1/captures", True, {"detail": NOT_A_LENGTH}),  # a header, not the body: a plain 400
])
def test_a_content_length_that_is_not_a_number_is_400_in_the_doors_shape(api, user, door, path, signed_in, body):
    headers = bearer(user, door=door) if signed_in else {}
    response = api.post(path, {}, format="json", CONTENT_LENGTH="ten", **headers)
    assert response.status_code == 400
    assert response.json() == body
