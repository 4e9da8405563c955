"""Seed 001's /health and /routes: plain answers about the server itself."""

import re

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .base import ScenesView


@extend_schema(tags=["scenes: basics"], summary="Health check", auth=[],
               responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="`OK`")})
class HealthView(ScenesView):
    """Answers `OK` while the server is up; it touches no database, queue or storage."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return HttpResponse("OK", content_type="text/plain")


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and not getattr(_view_class(entry.callback), "unrouted", False):
            yield route, entry.callback


def _view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def _methods(callback):
    view_class = _view_class(callback)
    if view_class is None:
        return ["GET"]
    return sorted(m.upper() for m in view_class.http_method_names if m != "options" and hasattr(view_class, m)
                  and not (m == "head" and not hasattr(view_class, "get")))


def _readable(route):
    """`<int:pk>` and `(?P<pk>...)` both become `{pk}`."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\Z", "").lstrip("/")


def all_routes():
    routes = {}
    for route, callback in _walk(get_resolver().url_patterns):
        path = _readable(route)
        routes.setdefault(path, set()).update(_methods(callback))
    return [{"path": path, "methods": sorted(methods)} for path, methods in sorted(routes.items())]


class RouteSerializer(serializers.Serializer):
    path = serializers.CharField()
    methods = serializers.ListField(child=serializers.CharField())


@extend_schema(tags=["scenes: basics"], summary="List the routes", auth=[],
               responses={200: RouteSerializer(many=True)})
class RouteListView(ScenesView):
    """Every route this server answers, with its methods; routes a seed defines but Atlas has not built
    yet are left out."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(all_routes())
