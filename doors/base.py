"""What every door shares: authentication, request validation, and rendering errors in the door's shape.

A door view subclasses one of the `*View` classes below; it parses the seed's request with a
serializer, calls a service, and returns the seed's response. Errors of every kind (bad input,
refused tokens, service refusals, throttling, unexpected failures) come out in the door's own body.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.errors import ServiceError

log = logging.getLogger(__name__)


def flatten_errors(detail):
    """One readable sentence from DRF's nested error details."""
    if isinstance(detail, dict):
        if set(detail) >= {"detail"} and not isinstance(detail.get("detail"), (dict, list)):
            return str(detail["detail"])
        parts = []
        for field, value in detail.items():
            text = flatten_errors(value)
            parts.append(text if field in ("non_field_errors", "detail") else f"{field}: {text}")
        return " ".join(parts)
    if isinstance(detail, list):
        return " ".join(flatten_errors(item) for item in detail)
    return str(detail)


class DoorView(APIView):
    """Base of every door view. Subclasses set `door` and may override `error_body`."""

    door = ""

    def error_body(self, status_code, message, exc=None):
        return {"message": message}

    def initial(self, request, *args, **kwargs):
        # A method the route does not have is 405 before anything else, as a router answers it: a
        # client sending it without a token must not be told to sign in.
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)
        # DRF's JSON parser reads the whole body; refuse oversized ones before it does.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError("The Content-Length header must be the body's size in bytes.") from None
        is_upload = request.content_type.startswith("multipart/")
        limit = self.body_max_bytes()
        if not is_upload and length > limit:
            raise exceptions.ParseError(f"The request body is larger than {limit // (1024 * 1024)} MB.")
        if not is_upload and limit > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.read_body(request._request, limit)
        super().initial(request, *args, **kwargs)

    def body_max_bytes(self):
        """The largest body (other than a multipart upload) this view reads."""
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    @staticmethod
    def read_body(django_request, limit):
        """Reads the body now, up to `limit` bytes: Django's own `request.body` (which DRF's JSON parser reads)
        refuses anything over DATA_UPLOAD_MAX_MEMORY_SIZE, and keeps what is read here instead."""
        if hasattr(django_request, "_body") or django_request._read_started:
            return
        body = django_request.read(limit + 1)
        if len(body) > limit:
            raise exceptions.ParseError(f"The request body is larger than {limit // (1024 * 1024)} MB.")
        django_request._body = body

    def validated(self, serializer_class, data=None, **kwargs):
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        if not isinstance(serializer.initial_data, dict) and not kwargs.get("many"):
            raise exceptions.ParseError("The request body must be a JSON object.")
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        status_code, message = self.status_and_message(exc)
        if status_code is None:
            return super().handle_exception(exc)
        response = Response(self.error_body(status_code, message, exc), status=status_code)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            header = self.get_authenticate_header(self.request)
            if header:
                response["WWW-Authenticate"] = header
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def status_and_message(self, exc):
        if isinstance(exc, ServiceError):
            return exc.status, exc.message
        if isinstance(exc, exceptions.NotAuthenticated):
            return 401, "Sign in first: send your token in the Authorization header (Bearer <token>)."
        if isinstance(exc, exceptions.AuthenticationFailed):
            return 401, f"The token is not valid: {flatten_errors(exc.detail)}"
        if isinstance(exc, exceptions.Throttled):
            return 429, f"Too many attempts. Try again in {int(exc.wait or 60)} seconds."
        if isinstance(exc, exceptions.MethodNotAllowed):
            allowed = [m for m in self.allowed_methods if m not in ("HEAD", "OPTIONS")]
            return 405, f"{self.request.method} is not allowed on {self.request.path}: it answers {', '.join(allowed)}."
        if isinstance(exc, exceptions.APIException):
            return exc.status_code, flatten_errors(exc.detail)
        if isinstance(exc, Http404):
            return 404, str(exc) or "Not found."
        if isinstance(exc, PermissionDenied):
            return 403, str(exc) or "You do not have permission to do this."
        log.exception("Unexpected error in %s door", self.door, exc_info=exc)
        return status.HTTP_500_INTERNAL_SERVER_ERROR, "Unexpected server error. It has been logged."


class AtlasView(DoorView):
    """Seed 000: `{"message": ...}` errors, Bearer tokens."""

    door = "atlas"


class ScenesView(DoorView):
    """Seed 001: errors also carry the seed's `status` and `error` fields."""

    door = "scenes"

    def error_body(self, status_code, message, exc=None):
        return {"status": status_code, "error": 1, "message": message}


class FaceIdView(DoorView):
    """Seed 002: `{"code", "message"}` errors, X-API-Token."""

    door = "faceid"

    def error_body(self, status_code, message, exc=None):
        return {"code": status_code, "message": message}

    def status_and_message(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated):
            return 401, "Send your API token in the X-API-Token header."
        return super().status_and_message(exc)


class StudioView(DoorView):
    """Seed 003: `{"message": ...}` errors, Bearer tokens."""

    door = "studio"


# --- seed 004: FastAPI-style errors -------------------------------------------------------------

# DRF's error codes named as FastAPI (pydantic) names them; anything else is a "value_error".
FASTAPI_ERROR_TYPES = {
    "required": "missing",
    "null": "missing",
    "invalid_choice": "enum",
    "min_value": "greater_than_equal",
    "max_value": "less_than_equal",
    "max_length": "string_too_long",
    "min_length": "string_too_short",
    "blank": "string_too_short",
    "not_a_list": "list_type",
    "not_a_dict": "dict_type",
    "int_type": "int_type",
    "float_type": "float_type",
    "bool_type": "bool_type",
}


def fastapi_errors(detail, loc):
    """DRF's nested error details as FastAPI's list of `{"loc", "msg", "type"}`, one entry per error."""
    if isinstance(detail, dict):
        entries = []
        for key, value in detail.items():
            inner = loc if key in (api_settings.NON_FIELD_ERRORS_KEY, "detail") else [*loc, key]
            entries.extend(fastapi_errors(value, inner))
        return entries
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [entry for item in detail for entry in fastapi_errors(item, loc)]
        # A list of nested results (one per item, empty for the valid ones): the index joins the loc.
        return [entry for index, item in enumerate(detail) if item for entry in fastapi_errors(item, [*loc, index])]
    code = getattr(detail, "code", None)
    return [{"loc": list(loc), "msg": str(detail), "type": FASTAPI_ERROR_TYPES.get(code, "value_error")}]


class RequestInvalid(exceptions.APIException):
    """The request's body, query or path does not have the seed's shape: 422 with FastAPI's entries."""

    status_code = 422
    default_detail = "The request is not valid."

    def __init__(self, entries):
        super().__init__(self.default_detail)
        self.entries = entries


class CapturesView(DoorView):
    """Seed 004 (a FastAPI service): 422 `{"detail": [{"loc", "msg", "type"}]}` for a request of the wrong
    shape, `{"detail": "<message>"}` with the status for every other error, Bearer tokens."""

    door = "captures"

    def validated(self, serializer_class, data=None, location="body", **kwargs):
        """The serializer's validated data; errors are located in `location` ("body", "query" or "path")."""
        if data is None:
            try:
                data = self.request.data
            except exceptions.ParseError as exc:
                raise RequestInvalid([{"loc": [location], "msg": flatten_errors(exc.detail),
                                       "type": "json_invalid"}]) from None
        if not isinstance(data, dict) and not kwargs.get("many"):
            raise RequestInvalid([{"loc": [location], "msg": "Must be a JSON object.", "type": "dict_type"}])
        serializer = serializer_class(data=data, **kwargs)
        if not serializer.is_valid():
            raise RequestInvalid(fastapi_errors(serializer.errors, [location]))
        return serializer.validated_data

    def error_body(self, status_code, message, exc=None):
        if isinstance(exc, RequestInvalid):
            return {"detail": exc.entries}
        if isinstance(exc, exceptions.ValidationError):
            return {"detail": fastapi_errors(exc.detail, ["body"])}
        return {"detail": message}

    def status_and_message(self, exc):
        if isinstance(exc, (RequestInvalid, exceptions.ValidationError)):
            return 422, "The request is not valid."
        if isinstance(exc, exceptions.NotAuthenticated):
            return 401, "Not authenticated"
        if isinstance(exc, exceptions.MethodNotAllowed):
            return 405, "Method Not Allowed"  # word for word what FastAPI answers
        return super().status_and_message(exc)


class OAuth2View(DoorView):
    """The token endpoint added to seed 004 (RFC 6749): `{"error", "error_description"}`. The RFC names no code for
    an unknown endpoint or a refused throttle; `invalid_request` ("otherwise malformed") and
    `temporarily_unavailable` are the nearest it has."""

    door = "oauth2"

    def error_code(self, exc):
        return "temporarily_unavailable" if isinstance(exc, exceptions.Throttled) else "invalid_request"

    def error_body(self, status_code, message, exc=None):
        return {"error": self.error_code(exc), "error_description": message}
