"""What a door answers for a path it does not have: 404 in its own error shape, never the dashboard's page.

`DOOR_PREFIXES` says which door owns which paths. Its catch-all routes (`urlpatterns`) are included last
in config/urls.py, so every real route, whichever door or later app adds it, is matched before them.
A wrong method on a real route needs nothing here: each door view answers 405 itself, in its shape,
with `Allow`.

Routes a seed defines but Atlas does not serve yet are listed in their door's urls.py with
`not_built(...)`: 404 in the door's shape saying so, left out of /routes (and, having no method, of the
OpenAPI schema).
"""

import re

from django.urls import path, re_path
from rest_framework import exceptions
from rest_framework.permissions import AllowAny

from .base import AtlasView, CapturesView, DoorView, FaceIdView, OAuth2View, ScenesView


class UnroutedView(DoorView):
    """Base of the views that stand where a door has no route: every method is a 404."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    unrouted = True  # basics.all_routes leaves these out of /routes
    not_built = ""  # set for a seed's route that is not built yet: what it is

    def message(self, request):
        if self.not_built:
            return f"{self.not_built} is not built yet in Atlas; a later release adds it."
        return (f"There is no route {request.path}. The routes are listed at /routes and described at "
                "/api/docs/.")

    def initial(self, request, *args, **kwargs):
        raise exceptions.NotFound(self.message(request))

    @property
    def default_response_headers(self):
        # No `Allow`: no method is allowed here, and DRF would name OPTIONS.
        return {key: value for key, value in super().default_response_headers.items() if key != "Allow"}


class CapturesUnroutedView(UnroutedView, CapturesView):
    def message(self, request):
        return "Not Found"  # word for word what FastAPI (seed 004's server) answers


def unrouted_view(door_view, **attributes):
    """A 404-for-every-method view in `door_view`'s error shape."""
    base = CapturesUnroutedView if issubclass(door_view, CapturesView) else UnroutedView
    return type(f"{door_view.__name__}Unrouted", (base, door_view), {"__module__": __name__, **attributes}).as_view()


def not_built(door_view, seed, routes):
    """`path()` entries for routes seed `seed` defines and Atlas does not serve yet.

    `routes` maps a Django route to the methods the seed gives it, which the message names.
    """
    return [
        path(route, unrouted_view(door_view, not_built=f"/{readable_route(route)} (seed {seed}: {', '.join(methods)})"))
        for route, methods in routes.items()
    ]


def readable_route(route):
    """`a/<str:b>` as the seeds write it: `a/{b}`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


# Path prefix (no leading slash) → the door whose error shape answers under it. Nested prefixes come
# first: Face ID's routes sit inside the captures door's /api/v1/.
DOOR_PREFIXES = (
    ("api/v1/auth", FaceIdView),
    ("api/v1/projects", FaceIdView),
    ("api/v1", CapturesView),
    ("share", CapturesView),
    ("atlas", AtlasView),
    ("user", ScenesView),
    ("oauth2", OAuth2View),
)

urlpatterns = [re_path(rf"^{prefix}(?:/|$)", unrouted_view(door)) for prefix, door in DOOR_PREFIXES]
